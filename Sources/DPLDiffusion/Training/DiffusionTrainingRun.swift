import Foundation
import DPLNN
import DPLTensor

// MARK: - A whole diffusion training run

extension DiffusionTrainer {
    /// How often (in steps) `train` writes its checkpoint; it also writes one after the last step.
    public static let checkpointInterval = 200

    /// Restores weights, optimizer state and the weight average from the checkpoint at
    /// `path`; returns the number of finished steps.
    /// - Throws: `ModelFileError`/`SafetensorsError`/`DiffusionError` for a missing, malformed
    ///   or mismatched file.
    public func resume(from path: String) throws -> Int {
        let checkpoint = try TrainingCheckpoint(contentsOf: path)
        try model.loadStateDict(checkpoint.weights)
        try optimizer.loadStateTensors(checkpoint.optimizerState, names: model.namedParameters())
        try restoreAverage(model.namedParameters().compactMap { checkpoint.average[$0.name] })
        return try checkpoint.progress(TrainingCheckpoint.stepsDoneKey)
    }

    /// Trains steps `start..<configuration.steps` on `images`, writing the checkpoint (weights,
    /// optimizer state, weight average, the mean loss of the last 100 steps and the progress in
    /// `metadata`) every `checkpointInterval` steps and after the last, once the weights are
    /// checked to be finite — a checkpoint of NaN weights would be resumed from without a word.
    /// - Parameter onStep: called after each step with (steps done, mean recent loss); it may
    ///   throw to stop (Ctrl-C), and the last checkpoint stays.
    /// - Throws: as `trainStep`, or when the checkpoint cannot be written.
    public func train(images: Tensor, from start: Int = 0, checkpoint: String, metadata: inout [String: String],
                      onStep: (_ done: Int, _ meanLoss: Double) throws -> Void) throws {
        var recent: [Double] = []
        for step in start..<max(start, configuration.steps) {
            let loss = try trainStep(step, images: images)
            recent.append(loss)
            if recent.count > 100 { recent.removeFirst() }
            let mean = recent.reduce(0, +) / Double(recent.count)
            if (step + 1) % Self.checkpointInterval == 0 || step + 1 == configuration.steps {
                try requireFiniteWeights(after: "step \(step + 1)")
                metadata["dpl.training.final_loss"] = String(format: "%.5f", mean)
                metadata[TrainingCheckpoint.stepsDoneKey] = "\(step + 1)"
                try TrainingCheckpoint.write(model, optimizer: optimizer, average: averagedStateDict(),
                                             metadata: metadata, to: checkpoint)
            }
            try onStep(step + 1, mean)
        }
    }
}

// MARK: - Held-out loss

/// Mean ε-prediction loss of `model` on up to 256 of `images` ([0, 1]) at each timestep t
/// (noised with `schedule.diffuse` to t, i.e. ᾱ at index t − 1), with noise keyed by
/// (seed, `train.diffusion.validate`, t) and the images' positions, so the numbers of two
/// models are comparable. Batches of 64, no gradients.
/// - Throws: `DiffusionError` for a timestep outside the schedule; errors of the model.
public func denoisingLoss(_ model: NoisePredictor, images: Tensor, timesteps: [Int], seed: UInt64,
                          schedule: NoiseSchedule = .ddpm) throws -> [(t: Int, loss: Double)] {
    let count = min(256, images.shape.first ?? 0)
    guard count > 0 else { return [] }
    let x0 = try images.slice(axis: 0, range: 0..<count) * 2 - 1
    return try withoutGradients {
        try timesteps.map { t in
            let noise = try Tensor.normal(shape: x0.shape, key: RandomKey(seed: seed, purpose: "train.diffusion.validate", step: t),
                                          sampleIDs: (0..<count).map(UInt64.init))
            let noised = try schedule.diffuse(x0, steps: t, noise: noise)
            var total = 0.0
            for start in stride(from: 0, to: count, by: 64) {
                let range = start..<min(count, start + 64)
                let predicted = try model.predictNoise(noised.slice(axis: 0, range: range),
                                                       timesteps: Array(repeating: Float(t - 1), count: range.count))
                total += Double(try mse(predicted, noise.slice(axis: 0, range: range), reduction: .sum).item())
            }
            return (t, total / Double(x0.count))
        }
    }
}
