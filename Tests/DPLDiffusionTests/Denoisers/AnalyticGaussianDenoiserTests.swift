import Foundation
import Testing
@testable import DPLDiffusion
import DPLTensor

@Suite("AnalyticGaussianDenoiser")
struct AnalyticGaussianDenoiserTests {
    @Test("ε* matches its formula per sample, with the discrete and the continuous time scale")
    func formula() throws {
        let x = try gaussianData(shape: [2, 1, 3, 3], mean: 0, standardDeviation: 1)
        let (mu, s): (Float, Float) = (0.2, 0.3)
        let discrete = try AnalyticGaussianDenoiser(mean: mu, standardDeviation: s, matching: .ddpm)
        let continuous = try AnalyticGaussianDenoiser(mean: mu, standardDeviation: s, matching: .sde())
        let timesteps: [Float] = [99, 499.5]
        for (model, alphaBars) in [
            (discrete, [NoiseSchedule.ddpm.alphasCumprod[99], NoiseSchedule.ddpm.alphaBar(atTimestep: 499.5)]),
            (continuous, timesteps.map { VPSDE.diffPure.alphaBar(at: Double($0) / 999) }),
        ] {
            let epsilon = try model.predictNoise(x, timesteps: timesteps)
            for row in 0..<2 {
                let a = alphaBars[row]
                for i in 0..<9 {
                    let xt = Double(x.scalars[row * 9 + i])
                    let expected = (1 - a).squareRoot() * (xt - a.squareRoot() * Double(mu)) / (a * Double(s * s) + 1 - a)
                    #expect(abs(Double(epsilon.scalars[row * 9 + i]) - expected) < 1e-5)
                }
            }
        }
    }

    @Test("ε* is the regression of ε on x_t: E[(ε − ε*) x_t] ≈ 0 on simulated pairs")
    func optimality() throws {
        let (mu, s): (Float, Float) = (0.2, 0.3)
        let model = try AnalyticGaussianDenoiser(mean: mu, standardDeviation: s, matching: .ddpm)
        let data = try gaussianData(shape: [64, 1, 32, 32], mean: mu, standardDeviation: s)
        let epsilon = try Tensor.normal(shape: data.shape, key: RandomKey(seed: 1, purpose: "test.eps"), sampleIDs: sampleIDs(64))
        let xt = try NoiseSchedule.ddpm.diffuse(data, steps: 300, noise: epsilon)
        let predicted = try model.predictNoise(xt, timesteps: [Float](repeating: 299, count: 64))
        // The residual of the best linear predictor is uncorrelated with the regressor and
        // has mean zero; its variance is 1 − Cov²/Var(x_t).
        var residualMean = 0.0, residualTimesX = 0.0
        for i in 0..<data.count {
            let r = Double(epsilon.scalars[i] - predicted.scalars[i])
            residualMean += r
            residualTimesX += r * Double(xt.scalars[i])
        }
        residualMean /= Double(data.count)
        residualTimesX /= Double(data.count)
        #expect(abs(residualMean) < 5 / Double(data.count).squareRoot())
        #expect(abs(residualTimesX) < 5 / Double(data.count).squareRoot())
    }

    @Test("bad parameters and mismatched timesteps are errors")
    func invalid() throws {
        #expect(throws: DiffusionError.self) { try AnalyticGaussianDenoiser(mean: 0, standardDeviation: -1, matching: .ddpm) }
        #expect(throws: DiffusionError.self) {
            try AnalyticGaussianDenoiser(mean: 0, standardDeviation: 1, timeScale: .continuous(.diffPure, stepCount: 1))
        }
        let model = try AnalyticGaussianDenoiser(mean: 0, standardDeviation: 1, matching: .ddpm)
        #expect(throws: DiffusionError.self) { try model.predictNoise(Tensor.zeros([2, 3]), timesteps: [1]) }
    }
}
