import Foundation

// MARK: - Per-sample norms
// Attacks measure perturbations per sample: a batch [N, ...] gives N norms, each over all of
// a sample's elements. The rules at non-differentiable points are chosen so attacks never see
// NaN: L1 and L2 give 0 where the input (or the whole sample) is 0, Linf sends the gradient
// to one element only.

/// Which vector norm `Tensor.norm(p:)` computes.
public enum NormKind: Sendable {
    /// The sum of absolute values.
    case l1
    /// The Euclidean length.
    case l2
    /// The largest absolute value.
    case linf
}

extension Tensor {
    /// The norm of each sample (each index along axis 0) over all its other axes: shape `[N]`.
    ///
    /// Backward, per sample with incoming gradient `g`:
    /// - `.l1`: `g·sign(x)`, 0 where `x = 0`;
    /// - `.l2`: `g·x / ‖x‖₂`, and 0 for a sample whose norm is 0 (where the true gradient is
    ///   undefined; 0 is a valid subgradient and keeps an attack starting at δ = 0 finite);
    /// - `.linf`: `g·sign(x_k)` at the first element `k` (row-major) of largest `|x|`, 0 elsewhere.
    /// - Throws: `TensorError` when the tensor is a scalar (it has no sample axis).
    public func norm(p kind: NormKind) throws -> Tensor {
        guard rank >= 1 else {
            throw TensorError("norm", "expected a batch with a sample axis but the shape is \(shapeString(shape)); reshape a single vector to [1, n]")
        }
        let samples = shape[0]
        let width = samples == 0 ? 0 : count / samples
        var maxIndices = [Int](repeating: 0, count: samples)
        let result = Tensor.uninitialized(shape: [samples]) { out in
            withUnsafeScalars { xs in
                for n in 0..<samples {
                    var total: Float = 0
                    var largest: Float = 0
                    for j in 0..<width {
                        let v = xs[n * width + j]
                        switch kind {
                        case .l1: total += Swift.abs(v)
                        case .l2: total += v * v
                        case .linf:
                            if Swift.abs(v) > largest { largest = Swift.abs(v); maxIndices[n] = j }
                        }
                    }
                    switch kind {
                    case .l1: out[n] = total
                    case .l2: out[n] = sqrtf(total)
                    case .linf: out[n] = largest
                    }
                }
            }
        }
        let input = detached()
        return Tensor.record(result, op: "norm", inputs: [self]) { g, _ in
            var grad = Tensor.zeros(input.shape)
            grad.withUnsafeMutableScalars { d in
                input.withUnsafeScalars { xs in
                    g.withUnsafeScalars { gv in
                        for n in 0..<samples {
                            let row = n * width
                            switch kind {
                            case .l1:
                                for j in 0..<width {
                                    let v = xs[row + j]
                                    d[row + j] = v > 0 ? gv[n] : (v < 0 ? -gv[n] : 0)
                                }
                            case .l2:
                                guard result.scalars[n] > 0 else { continue }
                                let scale = gv[n] / result.scalars[n]
                                for j in 0..<width { d[row + j] = xs[row + j] * scale }
                            case .linf:
                                guard width > 0 else { continue }
                                let v = xs[row + maxIndices[n]]
                                d[row + maxIndices[n]] = v > 0 ? gv[n] : (v < 0 ? -gv[n] : 0)
                            }
                        }
                    }
                }
            }
            return [grad]
        }
    }
}
