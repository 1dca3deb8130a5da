// MARK: - Reductions
// Summation order is fixed (each output element accumulates its inputs in increasing index
// order, contiguous runs in eight fixed lanes; see Kernels/ReductionKernels.swift), and the
// loops are single-threaded, so results are bit-identical for any thread count.

extension Tensor {
    /// The sum of all elements, as a scalar tensor. Backward: the gradient broadcast to every element.
    public func sum() -> Tensor {
        let total = withUnsafeScalars { p in p.count == 0 ? 0 : sumContiguous(p.baseAddress!, p.count) }
        let inputShape = shape
        return Tensor.record(Tensor(total), op: "sum", inputs: [self]) { g, _ in
            [Tensor(repeating: g.scalars[0], shape: inputShape)]
        }
    }

    /// The sum over `axes` (negative axes count from the end; repeats are an error). The
    /// reduced axes are kept with extent 1 when `keepingDims` is true and dropped otherwise.
    ///
    /// Backward: the gradient broadcast back over the reduced axes.
    /// - Throws: `TensorError` when an axis is out of range or repeated.
    public func sum(axes: [Int], keepingDims: Bool = false) throws -> Tensor {
        let plan = try ReductionPlan(shape: shape, axes: axes, op: "sum", keepingDims: keepingDims)
        let result = reducingSum(over: plan.reduce, resultShape: plan.resultShape)
        let (inputShape, keptShape) = (shape, plan.keptShape)
        return Tensor.record(result, op: "sum", inputs: [self]) { g, _ in
            [try g.reshaped(keptShape).expanded(to: inputShape)]
        }
    }

    /// The mean of all elements, as a scalar tensor (NaN for an empty tensor).
    /// Backward: `G / count` to every element.
    public func mean() -> Tensor {
        sum() / Float(count)
    }

    /// The mean over `axes`; see `sum(axes:keepingDims:)`.
    /// Backward: `G / n` broadcast back, where `n` is the number of elements averaged.
    /// - Throws: `TensorError` when an axis is out of range or repeated.
    public func mean(axes: [Int], keepingDims: Bool = false) throws -> Tensor {
        let plan = try ReductionPlan(shape: shape, axes: axes, op: "mean", keepingDims: keepingDims)
        return try sum(axes: axes, keepingDims: keepingDims) / Float(plan.reducedCount)
    }

    /// The maximum over `axes`; see `sum(axes:keepingDims:)` for the axis rules. (Named
    /// `maximum`, not `max`, because a `max` member would hide `Swift.max` inside every
    /// `Tensor` extension.)
    ///
    /// Backward: the whole gradient of each output goes to the first maximal element (first in
    /// row-major order), a subgradient that keeps ties deterministic. Reducing over an empty
    /// axis is an error.
    /// - Throws: `TensorError` when an axis is out of range, repeated, or empty.
    public func maximum(axes: [Int], keepingDims: Bool = false) throws -> Tensor {
        let plan = try ReductionPlan(shape: shape, axes: axes, op: "max", keepingDims: keepingDims)
        guard plan.reducedCount > 0 || plan.resultShape.reduce(1, *) == 0 else {
            throw TensorError("max", "cannot take the maximum over an empty axis of shape \(shapeString(shape))")
        }
        let (values, argIndices) = maximumWithIndices(reduce: plan.reduce, resultShape: plan.resultShape)
        let inputShape = shape
        return Tensor.record(values, op: "max", inputs: [self]) { g, _ in
            var grad = Tensor.zeros(inputShape)
            grad.withUnsafeMutableScalars { out in
                g.withUnsafeScalars { gv in
                    for (o, index) in argIndices.enumerated() { out[index] += gv[o] }
                }
            }
            return [grad]
        }
    }

    /// For each position of the other axes, the index along `axis` of the first maximal
    /// element, in row-major order of the remaining axes (for logits `[N, C]` and `axis: 1`,
    /// the predicted class of each sample). Not differentiable.
    /// - Throws: `TensorError` when the axis is out of range or empty.
    public func argmax(axis: Int) throws -> [Int] {
        let plan = try ReductionPlan(shape: shape, axes: [axis], op: "argmax", keepingDims: false)
        let a = plan.axes[0]
        guard shape[a] > 0 else {
            throw TensorError("argmax", "axis \(axis) of shape \(shapeString(shape)) is empty")
        }
        let (_, flatIndices) = maximumWithIndices(reduce: plan.reduce, resultShape: plan.resultShape)
        let inner = shape[(a + 1)...].reduce(1, *)
        return flatIndices.map { ($0 / inner) % shape[a] }
    }

    /// Maximum values over the marked axes and the flat input index of each first maximum.
    private func maximumWithIndices(reduce: [Bool], resultShape: [Int]) -> (Tensor, [Int]) {
        let outCount = resultShape.reduce(1, *)
        var indices = [Int](repeating: 0, count: outCount)
        let inputShape = shape
        let values = Tensor.uninitialized(shape: resultShape) { out in
            guard outCount > 0 else { return }
            withUnsafeScalars { x in
                indices.withUnsafeMutableBufferPointer { idx in
                    reduceMaxKernel(x.baseAddress!, shape: inputShape, reduce: reduce,
                                    into: out.baseAddress!, argIndices: idx.baseAddress!, outCount: outCount)
                }
            }
        }
        return (values, indices)
    }
}

// MARK: - Axis bookkeeping

/// The validated axes of a reduction and the shapes it produces.
struct ReductionPlan {
    /// The reduced axes, normalized to 0..<rank and sorted.
    let axes: [Int]
    /// Per input axis, whether it is reduced.
    let reduce: [Bool]
    /// The result's shape (reduced axes dropped or kept as 1).
    let resultShape: [Int]
    /// The input's shape with reduced axes set to 1 (for broadcasting gradients back).
    let keptShape: [Int]
    /// How many input elements feed each output element.
    let reducedCount: Int

    init(shape: [Int], axes: [Int], op: String, keepingDims: Bool) throws {
        var reduce = [Bool](repeating: false, count: shape.count)
        for axis in axes {
            let a = try normalizedAxis(axis, rank: shape.count, op: op, shape: shape)
            guard !reduce[a] else {
                throw TensorError(op, "axis \(axis) is listed twice in \(axes) for shape \(shapeString(shape))")
            }
            reduce[a] = true
        }
        self.reduce = reduce
        self.axes = (0..<shape.count).filter { reduce[$0] }
        self.keptShape = zip(shape, reduce).map { $1 ? 1 : $0 }
        self.resultShape = keepingDims ? keptShape : zip(shape, reduce).filter { !$1 }.map { $0.0 }
        self.reducedCount = zip(shape, reduce).filter { $1 }.map { $0.0 }.reduce(1, *)
    }
}
