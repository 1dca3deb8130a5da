import Foundation
import Testing
import DPLNN
import DPLTensor
@testable import DPLDiffusion

/// Diffusion training that diverges, or is given a NaN weight-average decay, stops with an
/// error instead of saving NaN weights (issue 17: `ema=NaN` saved NaN weights).
@Suite("diffusion training divergence")
struct DiffusionDivergenceTests {
    let unet = UNet.Configuration(imageSize: 4, baseWidth: 4, channelMultipliers: [1], timeEmbeddingWidth: 8, timeWidth: 8, groups: 2)

    @Test func nanAverageDecayIsRefused() throws {
        let model = try UNet(unet, key: RandomKey(seed: 2, purpose: "test"))
        let error = #expect(throws: DiffusionError.self) {
            try DiffusionTrainer(model: model, configuration: .init(steps: 2, batchSize: 2, emaDecay: .nan))
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("ema=nan must be a number from 0 to 1"))
    }

    @Test func divergingTrainingStopsWithAnError() throws {
        let model = try UNet(unet, key: RandomKey(seed: 2, purpose: "test"))
        let trainer = try DiffusionTrainer(model: model, configuration: .init(steps: 20, batchSize: 2, learningRate: 1e38, emaDecay: 0.5))
        let images = try Tensor(shape: [4, 1, 4, 4], scalars: (0..<64).map { Float($0 % 7) / 7 })
        var failure: Error?
        for step in 0..<20 {
            do {
                _ = try trainer.trainStep(step, images: images)
                try trainer.requireFiniteWeights(after: "step \(step + 1)")
            } catch {
                failure = error
                break
            }
        }
        #expect("\(failure.map { "\($0)" } ?? "no error")".contains("training diverged"))
    }
}
