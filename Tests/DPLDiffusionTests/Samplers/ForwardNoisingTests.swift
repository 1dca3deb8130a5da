import Testing
@testable import DPLDiffusion
import DPLTensor

@Suite("Forward noising")
struct ForwardNoisingTests {
    let schedule = NoiseSchedule.ddpm
    let noise = PurificationNoise(seed: 0, call: 0)

    @Test("x_t of N(μ, s²) data has mean √ᾱ μ and variance ᾱ s² + 1 − ᾱ", arguments: [1, 100, 500, 1000])
    func statistics(t: Int) throws {
        let (mu, s) = (0.2, 0.3)
        let data = try gaussianData(shape: [64, 1, 32, 32], mean: Float(mu), standardDeviation: Float(s))
        let noised = try schedule.diffuse(data, steps: t, noise: noise, sampleIDs: sampleIDs(64))
        let abar = schedule.alphasCumprod[t - 1]
        let expectedVariance = abar * s * s + 1 - abar
        let stats = SampleStatistics(noised)
        // 5 standard errors of the sample mean and variance of M = 65536 independent values.
        #expect(abs(stats.mean - abar.squareRoot() * mu) < 5 * SampleStatistics.meanStandardError(variance: expectedVariance, count: stats.count))
        #expect(abs(stats.variance - expectedVariance) < 5 * SampleStatistics.varianceStandardError(variance: expectedVariance, count: stats.count))
    }

    @Test("the added noise is exactly the keyed ε of each sample id")
    func keyedNoise() throws {
        let x = try gaussianData(shape: [3, 2, 4, 4], mean: 0, standardDeviation: 0.5)
        let ids: [UInt64] = [7, 3, 11]
        let noised = try schedule.diffuse(x, steps: 100, noise: noise, sampleIDs: ids)
        let epsilon = try Tensor.normal(shape: x.shape, key: RandomKey(seed: 0, purpose: "purify.diffuse", step: 100, call: 0), sampleIDs: ids)
        let abar = schedule.alphasCumprod[99]
        for i in 0..<x.count {
            let expected = Float(abar.squareRoot()) * x.scalars[i] + Float((1 - abar).squareRoot()) * epsilon.scalars[i]
            #expect(abs(noised.scalars[i] - expected) < 1e-6)
        }
    }

    @Test("t = 0 returns the input; t outside 0…T and mismatched ids are errors")
    func edges() throws {
        let x = try gaussianData(shape: [2, 1, 2, 2], mean: 0, standardDeviation: 1)
        #expect(try schedule.diffuse(x, steps: 0, noise: noise, sampleIDs: [0, 1]).scalars == x.scalars)
        #expect(throws: DiffusionError.self) { try schedule.diffuse(x, steps: 1001, noise: noise, sampleIDs: [0, 1]) }
        #expect(throws: DiffusionError.self) { try schedule.diffuse(x, steps: -1, noise: noise, sampleIDs: [0, 1]) }
        #expect(throws: TensorError.self) { try schedule.diffuse(x, steps: 10, noise: noise, sampleIDs: [0]) }
    }
}
