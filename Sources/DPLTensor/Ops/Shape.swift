// MARK: - Shape ops
// Reshapes share storage (copy-on-write); permutes, concatenations, slices and gathers copy
// into contiguous row-major results. Each backward rule is the op's adjoint: reshape back,
// inverse permutation, split, zero-padded scatter, scatter-add.

/// `axis` normalized to `0..<rank` (negative axes count from the end).
/// - Throws: `TensorError` naming `op` and `shape` when the axis is out of range.
func normalizedAxis(_ axis: Int, rank: Int, op: String, shape: [Int]) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0, a < rank else {
        throw TensorError(op, "axis \(axis) is out of range for shape \(shapeString(shape)) of rank \(rank)")
    }
    return a
}

/// Row-major strides of a contiguous tensor of `shape`.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[axis] = running
        running *= shape[axis]
    }
    return strides
}

extension Tensor {
    // MARK: Reshaping

    /// The same elements in a new shape with the same element count; one extent may be −1,
    /// meaning "whatever makes the count match". Backward: the gradient reshaped back.
    /// - Throws: `TensorError` with both shapes when the counts differ, more than one extent
    ///   is −1, or an extent is negative otherwise.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        let wildcards = newShape.indices.filter { newShape[$0] == -1 }
        guard wildcards.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError("reshaped", "target shape \(shapeString(newShape)) may hold at most one -1 and no other negative extent (input shape \(shapeString(shape)))")
        }
        var target = newShape
        if let w = wildcards.first {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw TensorError("reshaped", "cannot reshape \(shapeString(shape)) (\(count) elements) to \(shapeString(newShape))")
            }
            target[w] = count / known
        }
        guard target.reduce(1, *) == count else {
            throw TensorError("reshaped", "cannot reshape \(shapeString(shape)) (\(count) elements) to \(shapeString(newShape))")
        }
        if target == shape { return self }
        let inputShape = shape
        return Tensor.record(Tensor(uncheckedShape: target, scalars: scalars), op: "reshaped", inputs: [self]) { g, _ in
            [try g.reshaped(inputShape)]
        }
    }

    /// The axes from `startAxis` on merged into one: `[N, C, H, W]` → `[N, C·H·W]` by default.
    /// Backward: the gradient reshaped back.
    /// - Throws: `TensorError` when `startAxis` is out of range.
    public func flattened(startAxis: Int = 1) throws -> Tensor {
        guard rank > 0 else { return try reshaped([1]) }
        let start = try normalizedAxis(startAxis, rank: rank, op: "flattened", shape: shape)
        return try reshaped(Array(shape[..<start]) + [shape[start...].reduce(1, *)])
    }

    /// A new axis of extent 1 inserted at `axis` (which may equal `rank`; negative counts from
    /// the end of the result). Backward: the gradient reshaped back.
    /// - Throws: `TensorError` when the axis is out of range.
    public func unsqueezed(axis: Int) throws -> Tensor {
        let a = try normalizedAxis(axis, rank: rank + 1, op: "unsqueezed", shape: shape)
        var newShape = shape
        newShape.insert(1, at: a)
        return try reshaped(newShape)
    }

    /// The axis `axis`, which must have extent 1, removed. Backward: the gradient reshaped back.
    /// - Throws: `TensorError` when the axis is out of range or its extent is not 1.
    public func squeezed(axis: Int) throws -> Tensor {
        let a = try normalizedAxis(axis, rank: rank, op: "squeezed", shape: shape)
        guard shape[a] == 1 else {
            throw TensorError("squeezed", "axis \(axis) of shape \(shapeString(shape)) has extent \(shape[a]), not 1")
        }
        var newShape = shape
        newShape.remove(at: a)
        return try reshaped(newShape)
    }

    // MARK: Permuting

    /// The axes reordered: result axis `i` is input axis `axes[i]` (`[0, 2, 3, 1]` turns
    /// NCHW into NHWC). Backward: the gradient permuted by the inverse permutation.
    /// - Throws: `TensorError` when `axes` is not a permutation of `0..<rank`.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank, Set(axes) == Set(0..<rank) else {
            throw TensorError("permuted", "\(axes) is not a permutation of the axes of shape \(shapeString(shape))")
        }
        if axes == Array(0..<rank) { return self }
        let outShape = axes.map { shape[$0] }
        let inStrides = contiguousStrides(shape)
        let result = Tensor.uninitialized(shape: outShape) { out in
            guard out.count > 0 else { return }
            let layout = StridedLayout(outShape: outShape, operandStrides: [contiguousStrides(outShape), axes.map { inStrides[$0] }])
            let n = layout.extents[layout.extents.count - 1]
            let s = layout.strides[1].last!
            withUnsafeScalars { x in
                let input = x.baseAddress!, output = out.baseAddress!
                layout.forEachInnerRun { offsets in
                    let o = output + offsets[0], p = input + offsets[1]
                    if s == 1 { o.update(from: p, count: n) } else { for i in 0..<n { o[i] = p[i * s] } }
                }
            }
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.record(result, op: "permuted", inputs: [self]) { g, _ in [try g.permuted(inverse)] }
    }

    /// The transpose of a rank-2 tensor. Backward: the gradient transposed.
    /// - Throws: `TensorError` when the tensor is not rank 2.
    public func transposed() throws -> Tensor {
        guard rank == 2 else {
            throw TensorError("transposed", "expected a rank-2 tensor but the shape is \(shapeString(shape)); use permuted(_:) for other ranks")
        }
        return try permuted([1, 0])
    }

    // MARK: Joining and cutting

    /// The tensors joined along `axis`; all other extents must agree.
    /// Backward: the gradient split back into the pieces.
    /// - Throws: `TensorError` listing every shape when the list is empty, the ranks differ,
    ///   or an extent off the axis differs.
    public static func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else {
            throw TensorError("concat", "needs at least one tensor")
        }
        let a = try normalizedAxis(axis, rank: first.rank, op: "concat", shape: first.shape)
        let fits = tensors.allSatisfy { t in
            t.rank == first.rank && t.shape.indices.allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] }
        }
        guard fits else {
            let shapes = tensors.map { shapeString($0.shape) }.joined(separator: ", ")
            throw TensorError("concat", "shapes \(shapes) differ off axis \(axis)")
        }
        let outer = first.shape[..<a].reduce(1, *)
        let inner = first.shape[(a + 1)...].reduce(1, *)
        let extents = tensors.map { $0.shape[a] }
        let total = extents.reduce(0, +)
        var outShape = first.shape
        outShape[a] = total
        // The U-Net's skip concatenations copy 5–19 MB per batch of 64; a copy on one thread was
        // 5.6% of purify_ddpm_t100_b64's wall time, so the rows (the batch) are split across
        // the workers. Each row is a plain copy: no bits depend on the split.
        let rows = chunkRanges(count: outer, size: itemsPerChunk(workPerItem: total * inner))
        let result = Tensor.uninitialized(shape: outShape) { out in
            var column = 0
            for (t, extent) in zip(tensors, extents) {
                let block = extent * inner
                if block > 0 {
                    t.withUnsafeScalars { x in
                        parallelFor(rows.count) { chunk in
                            for o in rows[chunk] {
                                (out.baseAddress! + o * total * inner + column).update(from: x.baseAddress! + o * block, count: block)
                            }
                        }
                    }
                }
                column += block
            }
        }
        return record(result, op: "concat", inputs: tensors) { g, needs in
            var start = 0
            return try zip(extents, needs).map { extent, need in
                defer { start += extent }
                return need ? try g.slice(axis: a, range: start..<(start + extent)) : nil
            }
        }
    }

    /// The elements whose index along `axis` lies in `range`.
    /// Backward: the gradient placed back into a zero tensor of the input's shape.
    /// - Throws: `TensorError` when the axis or range is out of bounds.
    public func slice(axis: Int, range: Range<Int>) throws -> Tensor {
        let a = try normalizedAxis(axis, rank: rank, op: "slice", shape: shape)
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            throw TensorError("slice", "range \(range.lowerBound)..<\(range.upperBound) is outside axis \(axis) of shape \(shapeString(shape))")
        }
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        let (rowIn, block, skip) = (shape[a] * inner, range.count * inner, range.lowerBound * inner)
        var outShape = shape
        outShape[a] = range.count
        // Split across the workers as concat's copy is (the backward of a concatenation).
        let rows = chunkRanges(count: outer, size: itemsPerChunk(workPerItem: block))
        let result = Tensor.uninitialized(shape: outShape) { out in
            guard block > 0 else { return }
            withUnsafeScalars { x in
                parallelFor(rows.count) { chunk in
                    for o in rows[chunk] {
                        (out.baseAddress! + o * block).update(from: x.baseAddress! + o * rowIn + skip, count: block)
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "slice", inputs: [self]) { g, _ in
            var grad = Tensor.zeros(inputShape)
            guard block > 0 else { return [grad] }
            grad.withUnsafeMutableScalars { out in
                g.withUnsafeScalars { gv in
                    for o in 0..<outer {
                        (out.baseAddress! + o * rowIn + skip).update(from: gv.baseAddress! + o * block, count: block)
                    }
                }
            }
            return [grad]
        }
    }

    /// The rows (indices along axis 0) listed in `rows`, in that order; repeats are allowed.
    /// Used for batching and per-sample selection.
    /// Backward: each row of the gradient added into the row it came from (scatter-add).
    /// - Throws: `TensorError` naming the bad index when one is outside `0..<shape[0]`, or
    ///   when the tensor is a scalar.
    public func gather(rows: [Int]) throws -> Tensor {
        guard rank > 0 else {
            throw TensorError("gather", "cannot gather rows from a scalar tensor")
        }
        if let bad = rows.first(where: { $0 < 0 || $0 >= shape[0] }) {
            throw TensorError("gather", "row index \(bad) is out of range for shape \(shapeString(shape)) with \(shape[0]) rows")
        }
        let rowSize = shape[1...].reduce(1, *)
        var outShape = shape
        outShape[0] = rows.count
        let result = Tensor.uninitialized(shape: outShape) { out in
            guard rowSize > 0 else { return }
            withUnsafeScalars { x in
                for (i, r) in rows.enumerated() {
                    (out.baseAddress! + i * rowSize).update(from: x.baseAddress! + r * rowSize, count: rowSize)
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "gather", inputs: [self]) { g, _ in
            var grad = Tensor.zeros(inputShape)
            guard rowSize > 0 else { return [grad] }
            grad.withUnsafeMutableScalars { out in
                g.withUnsafeScalars { gv in
                    for (i, r) in rows.enumerated() {
                        let dst = out.baseAddress! + r * rowSize, src = gv.baseAddress! + i * rowSize
                        for j in 0..<rowSize { dst[j] += src[j] }
                    }
                }
            }
            return [grad]
        }
    }
}
