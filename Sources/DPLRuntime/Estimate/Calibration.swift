import Foundation
import DPLNN
import DPLTensor

// MARK: - How fast this machine runs each model

/// A model's measured speed on this machine: FLOPs per second of a forward pass without
/// gradients, and of the backward pass to the input, timed on one batch of zeros.
public struct ModelSpeed: Sendable {
    /// The batch timed.
    public let batch: Int
    /// Forward FLOPs per second.
    public let forwardRate: Double
    /// Backward FLOPs per second (a backward pass counts the forward's FLOPs again).
    public let backwardRate: Double
}

/// Times one forward pass and one forward-and-backward pass of each model at the script's
/// batch size — the speed the run will see, with the engine's threads as the script sets
/// them. Nothing is cached: a second estimate measures again, so the numbers follow the load
/// on the machine at the time.
enum Calibration {
    /// The most FLOPs one timed forward pass may take (≈ a second at this machine's
    /// ~30 GFLOP/s), so calibrating a 256×256 diffusion model stays short: the batch shrinks.
    static let forwardBudget = 30e9

    /// The batch timed for a model of `flopsPerImage` when the script uses `batch`.
    static func timedBatch(flopsPerImage: Double, batch: Int) -> Int {
        guard flopsPerImage > 0 else { return max(1, batch) }
        return max(1, min(batch, Int(forwardBudget / flopsPerImage)))
    }

    /// The speed of `module` on images shaped like `model`'s, at `batch` (capped by
    /// `forwardBudget`).
    static func measure(_ module: AnyObject, _ model: EstimatedModel, batch: Int) throws -> ModelSpeed {
        let size = timedBatch(flopsPerImage: model.flopsPerImage, batch: batch)
        let images = Tensor.zeros([size] + model.imageShape)
        let run: (Tensor) throws -> Tensor
        if let classifier = module as? any ImageClassifier {
            run = { try classifier.logits($0) }
        } else if let predictor = module as? any NoisePredictor {
            run = { try predictor.predictNoise($0, timesteps: [Float](repeating: 0, count: $0.shape[0])) }
        } else {
            throw RuntimeError("\(model.name) is neither a classifier nor a noise model, so it cannot be timed")
        }
        // A first pass on one image touches the weights and the allocator, as a run's first batch does.
        _ = try withoutGradients { try run(Tensor.zeros([1] + model.imageShape)) }
        var forwards: [Double] = [], backwards: [Double] = []
        // Other processes on a shared machine make single timings jumpy: a short pass is
        // timed three times and the median kept; a long one once, to keep the estimate quick.
        while forwards.count < (forwards.first.map { $0 < quickPass ? 3 : 1 } ?? 1) {
            let forward = try seconds { _ = try withoutGradients { try run(images) } }
            let leaf = images.requiringGrad()
            var output: Tensor?
            let recorded = try seconds { output = try withGradients { try run(leaf) } }
            let backward = try seconds {
                guard let output else { return }
                _ = try gradients(of: output.sum(), wrt: [leaf])
            }
            forwards.append(forward)
            // The recorded forward pass is what an attack's gradient calls run; charge its
            // extra time (keeping the graph) to the backward pass that needs it.
            backwards.append(backward + max(0, recorded - forward))
        }
        let total = model.flopsPerImage * Double(size)
        return ModelSpeed(batch: size, forwardRate: total / max(median(forwards), 1e-9),
                          backwardRate: total / max(median(backwards), 1e-9))
    }

    /// A forward pass shorter than this is timed three times.
    static let quickPass = 0.3

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    private static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
