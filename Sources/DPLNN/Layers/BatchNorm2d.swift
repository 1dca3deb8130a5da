import DPLTensor

/// Batch normalization over the channels of `[N, C, H, W]`, as PyTorch's
/// `nn.BatchNorm2d(channels)`: parameters `weight` (1) and `bias` (0), buffers `running_mean`
/// (0), `running_var` (1) and `num_batches_tracked` (0), so PyTorch state_dicts load unchanged.
///
/// In training mode each batch is normalized by its own mean and biased variance over
/// (N, H, W), and the running statistics move toward the batch's (mean, unbiased variance)
/// by `momentum`. In evaluation mode the running statistics normalize, so a sample's output
/// does not depend on the rest of its batch.
///
/// Unlike PyTorch, a new layer starts in **evaluation mode**: DPL mostly loads trained
/// classifiers to attack them, and an attack on a model in training mode would see (and
/// update) batch statistics. Call `setTraining(true)` on the model to train it.
public final class BatchNorm2d: Module, TrainingModeDependent {
    /// Per-channel scale `[C]`.
    public let weight: Parameter
    /// Per-channel shift `[C]`.
    public let bias: Parameter
    /// Running mean `[C]`.
    public let runningMean: Buffer
    /// Running (unbiased) variance `[C]`.
    public let runningVar: Buffer
    /// The number of training batches seen (a scalar, PyTorch's `num_batches_tracked`).
    public let batchesTracked: Buffer
    /// Added to the variance.
    public let eps: Float
    /// The weight of the newest batch in the running statistics.
    public let momentum: Float
    /// Whether batch statistics are used (and the running ones updated).
    public var isTraining = false

    /// A layer over `channels` channels.
    /// - Throws: `TensorError` when `channels` is not positive or `momentum` is outside [0, 1].
    public init(channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) throws {
        guard channels > 0, (0...1).contains(momentum), eps >= 0 else {
            throw TensorError("BatchNorm2d", "needs a positive channel count, momentum in [0, 1] and eps ≥ 0; got \(channels) channels, momentum \(momentum), eps \(eps)")
        }
        weight = Parameter(.ones([channels]))
        bias = Parameter(.zeros([channels]))
        runningMean = Buffer(.zeros([channels]))
        runningVar = Buffer(.ones([channels]))
        batchesTracked = Buffer(.zeros([]))
        self.eps = eps
        self.momentum = momentum
    }

    /// The number of channels.
    public var channels: Int { weight.shape[0] }

    public var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    public var ownBuffers: [(name: String, buffer: Buffer)] {
        [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", batchesTracked)]
    }

    // MARK: - Forward

    /// Normalizes `[N, C, H, W]`.
    /// - Throws: `TensorError` when the input is not `[N, C, H, W]` with this layer's `C`, or
    ///   when training on a batch with a single value per channel (its variance is undefined).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == channels else {
            throw TensorError("BatchNorm2d", "expects [N, \(channels), H, W] but got \(shapeString(x.shape))")
        }
        let perChannel = [1, channels, 1, 1]
        let gamma = try weight.value.reshaped(perChannel)
        let beta = try bias.value.reshaped(perChannel)
        guard isTraining else {
            // (x − μ)/σ·γ + β folded into one scale and shift per channel.
            let inverseStd = Tensor.uninitialized(shape: perChannel) { out in
                runningVar.value.withUnsafeScalars { v in
                    for c in 0..<out.count { out[c] = 1 / (v[c] + eps).squareRoot() }
                }
            }
            let scale = try gamma * inverseStd
            let shift = try beta - (try runningMean.value.reshaped(perChannel)) * scale
            return try x * scale + shift
        }
        let valuesPerChannel = x.shape[0] * x.shape[2] * x.shape[3]
        guard valuesPerChannel > 1 else {
            throw TensorError("BatchNorm2d", "cannot train on one value per channel (input \(shapeString(x.shape))); use a batch of at least 2 images")
        }
        let mean = try x.mean(axes: [0, 2, 3], keepingDims: true)
        let centered = try x - mean
        let variance = try centered.squared().mean(axes: [0, 2, 3], keepingDims: true)
        try updateRunningStatistics(mean: mean.detached(), biasedVariance: variance.detached(), count: valuesPerChannel)
        return try centered / sqrt(variance + eps) * gamma + beta
    }

    /// running ← (1 − momentum)·running + momentum·batch, with the batch variance made
    /// unbiased (n/(n−1)) as PyTorch does.
    private func updateRunningStatistics(mean: Tensor, biasedVariance: Tensor, count: Int) throws {
        let correction = Float(count) / Float(count - 1)
        let keep = 1 - momentum
        let newMean = Tensor.uninitialized(shape: [channels]) { out in
            runningMean.value.withUnsafeScalars { r in mean.withUnsafeScalars { m in
                for c in 0..<out.count { out[c] = keep * r[c] + momentum * m[c] }
            } }
        }
        let newVar = Tensor.uninitialized(shape: [channels]) { out in
            runningVar.value.withUnsafeScalars { r in biasedVariance.withUnsafeScalars { v in
                for c in 0..<out.count { out[c] = keep * r[c] + momentum * correction * v[c] }
            } }
        }
        try runningMean.assign(newMean)
        try runningVar.assign(newVar)
        try batchesTracked.assign(Tensor(batchesTracked.value.scalars[0] + 1))
    }
}
