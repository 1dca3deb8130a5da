import Foundation

// MARK: - Softmax family and losses
// Softmax and log-softmax subtract the maximum along the axis before exponentiating, so large
// logits never overflow. Cross-entropy is fused (log-sum-exp minus the label's logit) and
// keeps the probabilities for its backward rule, `softmax − one-hot`.

/// How a loss combines per-element (or per-sample) values.
public enum LossReduction: Sendable {
    /// The average over all values (PyTorch's default).
    case mean
    /// The sum of all values.
    case sum
    /// No reduction: one value per sample (cross-entropy) or per element (MSE).
    case none
}

extension Tensor {
    /// `exp(x) / Σ exp(x)` along `axis` (default: the last).
    /// Backward: `y·(G − Σ(G·y))` with the sum along `axis`.
    /// - Throws: `TensorError` when the axis is out of range.
    public func softmax(axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxis(axis, rank: rank, op: "softmax", shape: shape)
        let result = softmaxKernel(axis: a, logarithmic: false)
        return Tensor.record(result, op: "softmax", inputs: [self]) { g, _ in
            let weighted = try (g * result).sum(axes: [a], keepingDims: true)
            return [try result * (g - weighted)]
        }
    }

    /// `x − log Σ exp(x)` along `axis` (default: the last), computed stably.
    /// Backward: `G − softmax(x)·ΣG` with the sum along `axis`.
    /// - Throws: `TensorError` when the axis is out of range.
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxis(axis, rank: rank, op: "logSoftmax", shape: shape)
        let result = softmaxKernel(axis: a, logarithmic: true)
        return Tensor.record(result, op: "logSoftmax", inputs: [self]) { g, _ in
            let total = try g.sum(axes: [a], keepingDims: true)
            return [try g - exp(result) * total]
        }
    }

    /// Softmax (or log-softmax) along `axis` without recording. Rows along the axis are
    /// strided by the product of the later extents; all inner positions of one outer index
    /// are processed together so the inner loops run over contiguous memory.
    func softmaxKernel(axis: Int, logarithmic: Bool) -> Tensor {
        let n = shape[axis]
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        return Tensor.uninitialized(shape: shape) { out in
            guard out.count > 0 else { return }
            var maxima = [Float](repeating: 0, count: inner), totals = maxima
            withUnsafeScalars { xs in
                let x = xs.baseAddress!, y = out.baseAddress!
                for o in 0..<outer {
                    let base = o * n * inner
                    for i in 0..<inner { maxima[i] = x[base + i] }
                    for k in 1..<n { for i in 0..<inner { maxima[i] = Swift.max(maxima[i], x[base + k * inner + i]) } }
                    for i in 0..<inner { totals[i] = 0 }
                    for k in 0..<n {
                        for i in 0..<inner {
                            let e = expf(x[base + k * inner + i] - maxima[i])
                            y[base + k * inner + i] = e
                            totals[i] += e
                        }
                    }
                    if logarithmic {
                        for i in 0..<inner { totals[i] = maxima[i] + logf(totals[i]) }
                        for k in 0..<n { for i in 0..<inner { y[base + k * inner + i] = x[base + k * inner + i] - totals[i] } }
                    } else {
                        for i in 0..<inner { totals[i] = 1 / totals[i] }
                        for k in 0..<n { for i in 0..<inner { y[base + k * inner + i] *= totals[i] } }
                    }
                }
            }
        }
    }
}

// MARK: - Cross-entropy

/// Softmax cross-entropy of logits `[N, C]` against integer class labels (one per sample):
/// `−log softmax(logits)[n, labels[n]]`, shape `[N]` for `.none`, a scalar otherwise.
///
/// Backward: `G_n·(softmax(logits_n) − onehot(labels_n))` per sample (before the reduction's
/// own rule).
/// - Throws: `TensorError` when the logits are not rank 2, the label count differs from N, or
///   a label is outside `0..<C` (naming the sample, the label and the class count).
public func crossEntropy(logits: Tensor, labels: [Int], reduction: LossReduction = .mean) throws -> Tensor {
    guard logits.rank == 2 else {
        throw TensorError("crossEntropy", "logits must have shape [N, C] but have shape \(shapeString(logits.shape))")
    }
    let (samples, classes) = (logits.shape[0], logits.shape[1])
    guard labels.count == samples else {
        throw TensorError("crossEntropy", "\(labels.count) labels were given for logits of shape \(shapeString(logits.shape)); give one label per sample")
    }
    if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
        throw TensorError("crossEntropy", "label \(labels[bad]) of sample \(bad) is outside 0..<\(classes) for logits of shape \(shapeString(logits.shape))")
    }
    let probabilities = logits.softmaxKernel(axis: 1, logarithmic: false)
    let logProbabilities = logits.softmaxKernel(axis: 1, logarithmic: true)
    let perSample = Tensor.uninitialized(shape: [samples]) { out in
        logProbabilities.withUnsafeScalars { lp in
            for n in 0..<samples { out[n] = -lp[n * classes + labels[n]] }
        }
    }
    let losses = Tensor.record(perSample, op: "crossEntropy", inputs: [logits]) { g, _ in
        var grad = probabilities
        grad.withUnsafeMutableScalars { d in
            g.withUnsafeScalars { gv in
                for n in 0..<samples {
                    d[n * classes + labels[n]] -= 1
                    for c in 0..<classes { d[n * classes + c] *= gv[n] }
                }
            }
        }
        return [grad]
    }
    return losses.reduced(by: reduction)
}

// MARK: - Mean squared error

/// The squared difference `(prediction − target)²`, reduced as asked (`.none` keeps one value
/// per element). Backward: `2·(prediction − target)·G` to the prediction, the negative to the
/// target (before the reduction's own rule).
/// - Throws: `TensorError` with both shapes when they differ (no broadcasting, which would
///   silently average over the wrong pairs).
public func mse(_ prediction: Tensor, _ target: Tensor, reduction: LossReduction = .mean) throws -> Tensor {
    guard prediction.shape == target.shape else {
        throw TensorError("mse", "prediction of shape \(shapeString(prediction.shape)) and target of shape \(shapeString(target.shape)) differ; they must match exactly")
    }
    return try (prediction - target).squared().reduced(by: reduction)
}

extension Tensor {
    /// The loss values combined by `reduction`.
    func reduced(by reduction: LossReduction) -> Tensor {
        switch reduction {
        case .mean: return mean()
        case .sum: return sum()
        case .none: return self
        }
    }
}
