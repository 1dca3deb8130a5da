import Foundation
import Testing
import DPLTensor
@testable import DPLNN

/// Training that diverges stops with an error instead of saving NaN weights without a word
/// (issue 17: `lr=inf` saved NaN weights).
@Suite("training divergence")
struct DivergenceTests {
    let configuration = CNNClassifier.Configuration(imageSize: 4, widths: [2], poolAfter: [false], hidden: 4, classes: 2)

    func data() throws -> (Tensor, [Int]) {
        (try Tensor(shape: [4, 1, 4, 4], scalars: (0..<64).map { Float($0 % 5) / 5 }), [0, 1, 0, 1])
    }

    @Test func infiniteLearningRateIsRefused() {
        #expect(throws: OptimizerError.self) { try Adam(learningRate: .infinity) }
        #expect(throws: OptimizerError.self) { try AdamW(learningRate: .nan, weightDecay: 0.1) }
    }

    @Test func hugeLearningRateStopsWithAnErrorNamingTheStep() throws {
        let model = try CNNClassifier(configuration, key: RandomKey(seed: 1, purpose: "test"))
        let trainer = try ClassifierTrainer(model: model, configuration: .init(epochs: 3, batchSize: 2, learningRate: 1e38))
        let (images, labels) = try data()
        let error = #expect(throws: TensorError.self) {
            for epoch in 0..<3 { _ = try trainer.trainEpoch(epoch, images: images, labels: labels) { _ in } }
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("training diverged, so it stops and saves nothing; lower the learning rate (lr=1e+38)"), "\(text)")
    }

    @Test func ordinaryTrainingIsUntouched() throws {
        let model = try CNNClassifier(configuration, key: RandomKey(seed: 1, purpose: "test"))
        let trainer = try ClassifierTrainer(model: model, configuration: .init(epochs: 1, batchSize: 2, learningRate: 1e-3))
        let (images, labels) = try data()
        #expect(try trainer.trainEpoch(0, images: images, labels: labels) { _ in }.isFinite)
    }

    @Test func nonFiniteLossOrWeightsAreErrors() throws {
        #expect(throws: TensorError.self) { try requireFiniteLoss(.nan, at: "step 3", learningRate: 1) }
        #expect(throws: Never.self) { try requireFiniteLoss(0.5, at: "step 3", learningRate: 1) }
        let weights = try Tensor(shape: [2], scalars: [1, .infinity])
        #expect(throws: TensorError.self) { try requireFiniteWeights([weights], after: "epoch 1", learningRate: 1) }
    }
}
