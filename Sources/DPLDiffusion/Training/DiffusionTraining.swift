import DPLNN
import DPLTensor

// MARK: - Training a noise model

/// Hyperparameters of DDPM training (ε-prediction, Ho et al. 2020) with Adam and an
/// exponential moving average of the weights, which is what gets saved and used.
public struct DiffusionTrainingConfiguration: Codable, Equatable, Sendable {
    /// Optimizer steps.
    public var steps: Int
    /// Images per step.
    public var batchSize: Int
    /// Adam's learning rate.
    public var learningRate: Double
    /// Timesteps are drawn uniformly from `0..<maxTimestep`. Purification only ever asks the
    /// model about the low-noise end of the schedule (t ≤ 200 in DPL's studies), so training
    /// there spends every step on the range that is used; the limit is saved in the metadata.
    public var maxTimestep: Int
    /// Decay of the weight average (0 disables it).
    public var emaDecay: Double
    /// Keys the batches, timesteps and noise.
    public var seed: UInt64

    /// A configuration.
    public init(steps: Int = 4000, batchSize: Int = 32, learningRate: Double = 2e-4, maxTimestep: Int = 300,
                emaDecay: Double = 0.999, seed: UInt64 = 0) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.maxTimestep = maxTimestep
        self.emaDecay = emaDecay
        self.seed = seed
    }
}

/// Trains a `NoisePredictor` module with the ε-prediction loss
/// `‖ε − ε_θ(√ᾱ_t x₀ + √(1−ᾱ_t) ε, t)‖²`, every draw keyed by (seed, purpose, step), so a
/// resumed run reproduces an uninterrupted one exactly.
public final class DiffusionTrainer {
    /// The model being trained.
    public let model: any Module & NoisePredictor
    /// The hyperparameters.
    public let configuration: DiffusionTrainingConfiguration
    /// The schedule whose ᾱ noises the data.
    public let schedule: NoiseSchedule
    /// The optimizer.
    public let optimizer: Adam
    /// The weight average, one tensor per parameter in `model.namedParameters()` order.
    public private(set) var average: [Tensor]

    /// A trainer for `model`.
    /// - Throws: `OptimizerError` for a bad learning rate; `DiffusionError` for a timestep
    ///   limit outside the schedule.
    public init(model: any Module & NoisePredictor, configuration: DiffusionTrainingConfiguration,
                schedule: NoiseSchedule = .ddpm) throws {
        guard (0...1).contains(configuration.emaDecay) else {
            throw DiffusionError("train", "ema=\(configuration.emaDecay) must be a number from 0 to 1")
        }
        guard configuration.maxTimestep >= 1, configuration.maxTimestep <= schedule.stepCount else {
            throw DiffusionError("train", "max_t=\(configuration.maxTimestep) must be between 1 and the schedule's \(schedule.stepCount) steps")
        }
        self.model = model
        self.configuration = configuration
        self.schedule = schedule
        self.optimizer = try Adam(learningRate: configuration.learningRate)
        self.average = model.parameters().map { $0.value.detached() }
    }

    /// One optimizer step on a batch drawn from `images [N, C, H, W]` in [0, 1]; returns the loss.
    public func trainStep(_ step: Int, images: Tensor) throws -> Double {
        let count = images.shape.first ?? 0
        guard images.rank == 4, count > 0 else {
            throw DiffusionError("train", "needs images [N, C, H, W]; got \(shapeString(images.shape))")
        }
        let b = max(1, configuration.batchSize)
        var stream = RandomKey(seed: configuration.seed, purpose: "train.diffusion.batch", step: step).stream(sample: 0)
        let rows = (0..<b).map { _ in stream.nextInt(below: count) }
        let timesteps = (0..<b).map { _ in stream.nextInt(below: configuration.maxTimestep) }
        let x0 = try images.gather(rows: rows) * 2 - 1
        let noise = try Tensor.normal(shape: x0.shape, key: RandomKey(seed: configuration.seed, purpose: "train.diffusion.noise", step: step),
                                      sampleIDs: (0..<b).map(UInt64.init))
        let signal = try Tensor(shape: [b, 1, 1, 1], scalars: timesteps.map { Float(schedule.alphasCumprod[$0].squareRoot()) })
        let noiseScale = try Tensor(shape: [b, 1, 1, 1], scalars: timesteps.map { Float((1 - schedule.alphasCumprod[$0]).squareRoot()) })
        let noised = try x0 * signal + noise * noiseScale
        let parameters = model.parameters()
        let loss = try withGradients {
            try mse(model.predictNoise(noised, timesteps: timesteps.map(Float.init)), noise)
        }
        let value = Double(try loss.item())
        try requireFiniteLoss(value, at: "step \(step + 1)", learningRate: configuration.learningRate)
        let grads = try gradients(of: loss, wrt: parameters.map(\.value))
        try optimizer.step(parameters, gradients: grads)
        updateAverage(parameters, step: step)
        return value
    }

    /// Throws when the weights or their average are no longer finite (after the last step, whose
    /// update no later loss sees).
    public func requireFiniteWeights(after place: String) throws {
        try DPLNN.requireFiniteWeights(model.parameters().map(\.value) + average, after: place,
                                       learningRate: configuration.learningRate)
    }

    /// Updates the weight average with the warm-up of common DDPM code,
    /// `decay_s = min(decay, (1 + s)/(10 + s))`: early steps average over a short window, so
    /// the random initial weights do not linger in the average of a short run.
    private func updateAverage(_ parameters: [Parameter], step: Int) {
        guard configuration.emaDecay > 0 else { return }
        let decay = Float(min(configuration.emaDecay, Double(1 + step) / Double(10 + step)))
        for (index, parameter) in parameters.enumerated() {
            average[index].withUnsafeMutableScalars { shadow in
                parameter.value.withUnsafeScalars { current in
                    for i in 0..<shadow.count { shadow[i] = decay * shadow[i] + (1 - decay) * current[i] }
                }
            }
        }
    }

    /// The averaged weights by parameter name (what is saved as the trained model), or the
    /// current weights when averaging is off.
    public func averagedStateDict() -> [(name: String, tensor: Tensor)] {
        guard configuration.emaDecay > 0 else { return model.stateDict() }
        return zip(model.namedParameters(), average).map { ($0.0.name, $0.1) }
    }

    /// Replaces the weight average (when resuming from a checkpoint).
    /// - Throws: `DiffusionError` when the tensors do not match the parameters.
    public func restoreAverage(_ tensors: [Tensor]) throws {
        guard tensors.count == average.count, zip(tensors, average).allSatisfy({ $0.shape == $1.shape }) else {
            throw DiffusionError("train", "the checkpoint's weight average does not match the model's parameters")
        }
        average = tensors.map { $0.detached() }
    }
}
