import Foundation
import Testing
import DPLNN
import DPLTensor
@testable import DPLDiffusion

/// A diffusion training run in the engine: the checkpoint holds weights, optimizer state and
/// the weight average, and resuming restores all three.
@Suite("diffusion training run")
struct DiffusionTrainingRunTests {
    let images = try! Tensor(shape: [4, 1, 8, 8], scalars: (0..<256).map { Float(($0 * 5) % 13) / 13 })

    func trainer(steps: Int) throws -> DiffusionTrainer {
        let model = try UNet(UNet.Configuration(imageChannels: 1, imageSize: 8, baseWidth: 4, groups: 2), key: RandomKey(seed: 2, purpose: "test"))
        return try DiffusionTrainer(model: model, configuration: DiffusionTrainingConfiguration(steps: steps, batchSize: 2, maxTimestep: 50, seed: 3))
    }

    @Test func theCheckpointRestoresWeightsOptimizerAndAverage() throws {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("dpl-diffusion-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try trainer(steps: 2)
        var metadata: [String: String] = [:]
        var seen: [Int] = []
        try first.train(images: images, checkpoint: path, metadata: &metadata) { done, loss in
            seen.append(done)
            #expect(loss.isFinite)
        }
        #expect(seen == [1, 2] && metadata[TrainingCheckpoint.stepsDoneKey] == "2")
        let resumed = try trainer(steps: 2)
        #expect(try resumed.resume(from: path) == 2)
        for (a, b) in zip(first.averagedStateDict(), resumed.averagedStateDict()) {
            #expect(a.name == b.name && a.tensor.scalars == b.tensor.scalars)
        }
        for (a, b) in zip(first.model.stateDict(), resumed.model.stateDict()) { #expect(a.tensor.scalars == b.tensor.scalars) }
    }

    @Test func heldOutLossHasTheKnownAnswerOfAnOffsetOptimalDenoiser() throws {
        // Images all 0.5 are x₀ = 0 on the model's scale. The optimal denoiser for N(m, s²)
        // with s → 0 predicts ε* = (x_t − √ᾱ m)/√(1 − ᾱ) = ε − √ᾱ m/√(1 − ᾱ): a constant error,
        // so the loss is ᾱ m²/(1 − ᾱ) whatever the noise — if noising and the model agree on
        // t ↔ ᾱ at index t − 1.
        let flat = try Tensor(shape: [3, 1, 4, 4], scalars: Array(repeating: 0.5, count: 48))
        let m: Float = 0.5
        let denoiser = try AnalyticGaussianDenoiser(mean: m, standardDeviation: 1e-6, timeScale: .discrete(.ddpm))
        let losses = try denoisingLoss(denoiser, images: flat, timesteps: [10, 100], seed: 1)
        #expect(losses.map(\.t) == [10, 100])
        for (t, loss) in losses {
            let abar = NoiseSchedule.ddpm.alphasCumprod[t - 1]
            let expected = abar * Double(m * m) / (1 - abar)
            #expect(abs(loss - expected) / expected < 1e-3, "t=\(t): \(loss) vs \(expected)")
        }
    }
}
