import DPLTensor

// MARK: - Supervised training of an image classifier

/// Hyperparameters of classifier training. Adam with PyTorch's defaults besides the rate.
public struct ClassifierTrainingConfiguration: Codable, Equatable, Sendable {
    /// Passes over the training set.
    public var epochs: Int
    /// Images per optimizer step.
    public var batchSize: Int
    /// Adam's learning rate.
    public var learningRate: Double
    /// Decoupled weight decay (AdamW); 0 gives plain Adam.
    public var weightDecay: Double
    /// Keys the shuffling of every epoch.
    public var seed: UInt64

    /// A configuration.
    public init(epochs: Int = 5, batchSize: Int = 128, learningRate: Double = 1e-3, weightDecay: Double = 0, seed: UInt64 = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.seed = seed
    }
}

/// Where a training run is, reported after every optimizer step.
public struct TrainingProgress: Sendable {
    /// The current epoch, from 0.
    public var epoch: Int
    /// Steps finished in this epoch.
    public var step: Int
    /// Steps in one epoch.
    public var stepsPerEpoch: Int
    /// Mean loss over this epoch's steps so far.
    public var meanLoss: Double
}

/// Trains a classifier with cross-entropy, mini-batches shuffled by DPL's keyed generator
/// (`train.shuffle` at step = epoch), so a run is the same on every machine and a resumed run
/// continues exactly where an uninterrupted one would be.
public final class ClassifierTrainer {
    /// The model being trained.
    public let model: any Module & ImageClassifier
    /// The hyperparameters.
    public let configuration: ClassifierTrainingConfiguration
    /// The optimizer; its state is part of a checkpoint.
    public let optimizer: any Optimizer

    /// A trainer for `model`.
    /// - Throws: `OptimizerError` for an invalid learning rate or weight decay.
    public init(model: any Module & ImageClassifier, configuration: ClassifierTrainingConfiguration) throws {
        self.model = model
        self.configuration = configuration
        self.optimizer = configuration.weightDecay > 0
            ? try AdamW(learningRate: configuration.learningRate, weightDecay: configuration.weightDecay)
            : try Adam(learningRate: configuration.learningRate)
    }

    /// Runs one epoch over `images [N, C, H, W]` and `labels`, calling `onStep` after every
    /// optimizer step (it may throw to stop, e.g. on Ctrl-C). Returns the epoch's mean loss.
    public func trainEpoch(_ epoch: Int, images: Tensor, labels: [Int],
                           onStep: (TrainingProgress) throws -> Void) throws -> Double {
        let count = labels.count
        guard images.rank == 4, images.shape[0] == count, count > 0 else {
            throw TensorError("train", "needs images [N, C, H, W] with one label each; got \(shapeString(images.shape)) and \(count) labels")
        }
        let order = RandomKey(seed: configuration.seed, purpose: "train.shuffle", step: epoch).shuffledIndices(count: count)
        let batch = max(1, configuration.batchSize)
        let steps = (count + batch - 1) / batch
        let parameters = model.parameters()
        var total = 0.0
        for step in 0..<steps {
            let rows = Array(order[(step * batch)..<min(count, (step + 1) * batch)])
            let x = try images.gather(rows: rows)
            let y = rows.map { labels[$0] }
            let loss = try crossEntropy(logits: model.logits(x), labels: y)
            let value = Double(try loss.item())
            try requireFiniteLoss(value, at: "epoch \(epoch + 1), step \(step + 1)", learningRate: configuration.learningRate)
            let grads = try gradients(of: loss, wrt: parameters.map(\.value))
            try optimizer.step(parameters, gradients: grads)
            total += value
            try onStep(TrainingProgress(epoch: epoch, step: step + 1, stepsPerEpoch: steps, meanLoss: total / Double(step + 1)))
        }
        // The last step's update is seen by no later loss; a NaN there would be saved silently.
        try requireFiniteWeights(parameters.map(\.value), after: "epoch \(epoch + 1)", learningRate: configuration.learningRate)
        return total / Double(steps)
    }
}

// MARK: - Divergence

/// Stops training whose loss is NaN or infinite: every later step would only spread it, and
/// the weights saved at the end would be NaN with no warning.
/// - Throws: `TensorError` naming the step and the likely cause.
public func requireFiniteLoss(_ loss: Double, at place: String, learningRate: Double) throws {
    guard loss.isFinite else {
        throw TensorError("train", "the loss is \(loss) at \(place): training diverged, so it stops and saves nothing; lower the learning rate (lr=\(learningRate))")
    }
}

/// Stops training whose weights are no longer finite numbers.
/// - Throws: `TensorError` naming when, and the likely cause.
public func requireFiniteWeights(_ tensors: [Tensor], after place: String, learningRate: Double) throws {
    for tensor in tensors {
        let finite = tensor.withUnsafeScalars { scalars in scalars.allSatisfy(\.isFinite) }
        guard finite else {
            throw TensorError("train", "the weights are no longer finite numbers after \(place): training diverged, so it stops and saves nothing; lower the learning rate (lr=\(learningRate))")
        }
    }
}

/// Accuracy of `model` on `images` and `labels`, in batches, without recording gradients.
public func classificationAccuracy(_ model: any ImageClassifier, images: Tensor, labels: [Int], batchSize: Int = 256) throws -> Double {
    let predictions = try predictClasses(model, images: images, batchSize: batchSize)
    guard !labels.isEmpty else { return 0 }
    return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
}

/// The arg-max class of every image, in batches, without recording gradients.
public func predictClasses(_ model: any ImageClassifier, images: Tensor, batchSize: Int = 256) throws -> [Int] {
    let count = images.shape.first ?? 0
    var predictions: [Int] = []
    predictions.reserveCapacity(count)
    try withoutGradients {
        for start in stride(from: 0, to: count, by: max(1, batchSize)) {
            let rows = Array(start..<min(count, start + batchSize))
            predictions += try model.logits(images.gather(rows: rows)).argmax(axis: 1)
        }
    }
    return predictions
}
