import Foundation
import Testing
import DPLTensor
@testable import DPLNN

/// A classifier training run in the engine: checkpoints after every epoch, and a run stopped
/// after its first epoch resumes to exactly the weights of an uninterrupted one.
@Suite("classifier training run")
struct ClassifierTrainingRunTests {
    struct Stop: Error {}

    let configuration = CNNClassifier.Configuration(imageSize: 4, widths: [2], poolAfter: [false], hidden: 4, classes: 2)
    let training = ClassifierTrainingConfiguration(epochs: 3, batchSize: 2, learningRate: 1e-2, seed: 5)

    func data() throws -> (Tensor, [Int]) {
        (try Tensor(shape: [6, 1, 4, 4], scalars: (0..<96).map { Float(($0 * 7) % 11) / 11 }), [0, 1, 0, 1, 1, 0])
    }

    func trainer() throws -> ClassifierTrainer {
        try ClassifierTrainer(model: try CNNClassifier(configuration, key: RandomKey(seed: 1, purpose: "test")), configuration: training)
    }

    func temporaryFile() -> String {
        (NSTemporaryDirectory() as NSString).appendingPathComponent("dpl-train-\(UUID().uuidString).safetensors")
    }

    @Test func aStoppedRunResumesToTheWeightsOfAnUninterruptedOne() throws {
        let (images, labels) = try data()
        let (whole, stopped) = (temporaryFile(), temporaryFile())
        defer { for path in [whole, stopped] { try? FileManager.default.removeItem(atPath: path) } }

        let uninterrupted = try trainer()
        var metadata: [String: String] = [:]
        var reports: [EpochReport] = []
        try uninterrupted.train(images: images, labels: labels, validation: LabeledImages(images: images, labels: labels, name: "train"),
                                checkpoint: whole, metadata: &metadata, epochStarted: { _, _ in { _ in } },
                                epochFinished: { reports.append($0) })
        #expect(reports.map(\.epoch) == [0, 1, 2] && reports.allSatisfy { $0.heldOutAccuracy != nil })
        #expect(metadata[TrainingCheckpoint.epochsDoneKey] == "3" && metadata["dpl.training.heldout_accuracy"] != nil)

        var partial: [String: String] = [:]
        #expect(throws: Stop.self) {
            try trainer().train(images: images, labels: labels, checkpoint: stopped, metadata: &partial,
                                epochStarted: { epoch, _ in { _ in if epoch == 1 { throw Stop() } } })
        }
        let resumed = try trainer()
        #expect(try resumed.resume(from: stopped) == 1)
        var rest: [String: String] = [:]
        try resumed.train(images: images, labels: labels, from: 1, checkpoint: stopped, metadata: &rest, epochStarted: { _, _ in { _ in } })
        for (a, b) in zip(uninterrupted.model.stateDict(), resumed.model.stateDict()) {
            #expect(a.name == b.name && a.tensor.scalars == b.tensor.scalars)
        }
        // The checkpoint is also a model file; its progress is in the metadata.
        let checkpoint = try TrainingCheckpoint(contentsOf: stopped)
        #expect(try checkpoint.progress(TrainingCheckpoint.epochsDoneKey) == 3)
        #expect(!checkpoint.optimizerState.isEmpty && checkpoint.average.isEmpty)
        #expect(throws: ModelFileError.self) { try checkpoint.progress(TrainingCheckpoint.stepsDoneKey) }
    }
}
