import Foundation
import DPLTensor

// MARK: - A whole classifier training run

/// Images with their labels and a name, e.g. a held-out split.
public struct LabeledImages {
    /// `[N, C, H, W]` in [0, 1].
    public let images: Tensor
    /// One label per image.
    public let labels: [Int]
    /// For reports, e.g. `fashion-mnist test`.
    public let name: String

    /// Labeled images.
    public init(images: Tensor, labels: [Int], name: String) {
        self.images = images
        self.labels = labels
        self.name = name
    }

    /// The number of images.
    public var count: Int { labels.count }
}

/// What one finished epoch reports.
public struct EpochReport {
    /// The epoch (0-based).
    public let epoch: Int
    /// Its mean training loss.
    public let loss: Double
    /// Accuracy on the held-out images, when given.
    public let heldOutAccuracy: Double?
}

extension ClassifierTrainer {
    /// Restores weights and optimizer state from the checkpoint at `path`; returns the
    /// number of finished epochs.
    /// - Throws: `ModelFileError`/`SafetensorsError` for a missing, malformed or mismatched file.
    public func resume(from path: String) throws -> Int {
        let checkpoint = try TrainingCheckpoint(contentsOf: path)
        try model.loadStateDict(checkpoint.weights)
        try optimizer.loadStateTensors(checkpoint.optimizerState, names: model.namedParameters())
        return try checkpoint.progress(TrainingCheckpoint.epochsDoneKey)
    }

    /// Trains epochs `start..<configuration.epochs` on `images` and `labels`. After every
    /// epoch it measures `validation` (when given), records the loss, accuracy and progress in
    /// `metadata` and writes the checkpoint at `checkpoint`, so an interrupted run resumes from
    /// its last finished epoch (`resume(from:)`) exactly where it would have been.
    /// - Parameters:
    ///   - epochStarted: called with (epoch, steps per epoch) before an epoch; returns the
    ///     per-step observer of that epoch (which may throw to stop, e.g. on Ctrl-C).
    ///   - epochFinished: called after each epoch's checkpoint is written.
    /// - Throws: as `trainEpoch`, or when the checkpoint cannot be written.
    public func train(images: Tensor, labels: [Int], from start: Int = 0, validation: LabeledImages? = nil,
                      checkpoint: String, metadata: inout [String: String],
                      epochStarted: (_ epoch: Int, _ steps: Int) -> (TrainingProgress) throws -> Void,
                      epochFinished: (EpochReport) -> Void = { _ in }) throws {
        let batch = max(1, configuration.batchSize)
        let steps = (labels.count + batch - 1) / batch
        for epoch in start..<max(start, configuration.epochs) {
            let loss = try trainEpoch(epoch, images: images, labels: labels, onStep: epochStarted(epoch, steps))
            var accuracy: Double?
            if let validation {
                accuracy = try classificationAccuracy(model, images: validation.images, labels: validation.labels)
                metadata["dpl.training.heldout_accuracy"] = String(format: "%.4f", accuracy ?? 0)
            }
            metadata["dpl.training.final_loss"] = String(format: "%.5f", loss)
            metadata[TrainingCheckpoint.epochsDoneKey] = "\(epoch + 1)"
            try TrainingCheckpoint.write(model, optimizer: optimizer, metadata: metadata, to: checkpoint)
            epochFinished(EpochReport(epoch: epoch, loss: loss, heldOutAccuracy: accuracy))
        }
    }
}
