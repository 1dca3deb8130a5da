// MARK: - Broadcast layout
// A binary op over broadcast operands is planned once per call: both operands get strides
// over the output's axes (0 where an operand is broadcast), axes of extent 1 are dropped, and
// adjacent axes that are contiguous in both operands are merged. The common cases then
// reduce to one inner loop that vectorizes: same shape → one axis with strides (1, 1); a
// scalar operand → strides (1, 0); a per-channel bias [1, C, 1, 1] on [N, C, H, W] →
// axes [N, C, H·W] with an inner run of H·W against one bias value.

/// The broadcast of two shapes under NumPy's rules (align trailing axes; an extent of 1
/// stretches), or `nil` when some aligned extents differ and neither is 1.
func broadcastedShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for axis in 0..<rank {
        let da = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
        let db = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
        if da == db || db == 1 { result[axis] = da } else if da == 1 { result[axis] = db } else { return nil }
    }
    return result
}

/// Row-major strides of `shape` seen from an output of rank `rank`: leading missing axes and
/// axes of extent 1 get stride 0, so indexing with the output's coordinates broadcasts.
func broadcastStrides(_ shape: [Int], toRank rank: Int) -> [Int] {
    var strides = [Int](repeating: 0, count: rank)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        let outAxis = axis + rank - shape.count
        strides[outAxis] = shape[axis] == 1 ? 0 : running
        running *= shape[axis]
    }
    return strides
}

/// The merged iteration space of an op whose operands are read with the given strides over
/// `outShape`: extent-1 axes removed, contiguous neighbours fused. Always at least one axis.
struct StridedLayout {
    var extents: [Int]
    var strides: [[Int]]   // strides[operand][axis]

    init(outShape: [Int], operandStrides: [[Int]]) {
        var extents: [Int] = []
        var strides = [[Int]](repeating: [], count: operandStrides.count)
        for axis in 0..<outShape.count where outShape[axis] != 1 {
            let canMerge = !extents.isEmpty && operandStrides.indices.allSatisfy { op in
                strides[op].last! == operandStrides[op][axis] * outShape[axis]
            }
            if canMerge {
                extents[extents.count - 1] *= outShape[axis]
                for op in operandStrides.indices { strides[op][strides[op].count - 1] = operandStrides[op][axis] }
            } else {
                extents.append(outShape[axis])
                for op in operandStrides.indices { strides[op].append(operandStrides[op][axis]) }
            }
        }
        if extents.isEmpty {
            extents = [1]
            strides = strides.map { _ in [0] }
        }
        self.extents = extents
        self.strides = strides
    }

    /// How many runs of the innermost axis the layout has (the product of the outer extents).
    var innerRunCount: Int { extents.dropLast().reduce(1, *) }

    /// Calls `body(offsets, innerCount)` once per run of the innermost axis, in row-major
    /// order, with each operand's offset at the start of the run.
    @inline(__always)
    func forEachInnerRun(_ body: ([Int]) -> Void) {
        forEachInnerRun(in: 0..<innerRunCount, body)
    }

    /// `forEachInnerRun` over the runs `runs` only (in row-major run numbering), so that
    /// workers can take disjoint blocks of runs.
    @inline(__always)
    func forEachInnerRun(in runs: Range<Int>, _ body: ([Int]) -> Void) {
        let outerRank = extents.count - 1
        var index = [Int](repeating: 0, count: outerRank)
        var offsets = [Int](repeating: 0, count: strides.count)
        // The coordinates and offsets of the first run, then the odometer from there.
        var rest = runs.lowerBound
        for axis in stride(from: outerRank - 1, through: 0, by: -1) {
            index[axis] = rest % extents[axis]
            rest /= extents[axis]
            for op in offsets.indices { offsets[op] += index[axis] * strides[op][axis] }
        }
        for _ in runs {
            body(offsets)
            // Odometer step over the outer axes, updating offsets incrementally.
            var axis = outerRank - 1
            while axis >= 0 {
                index[axis] += 1
                for op in offsets.indices { offsets[op] += strides[op][axis] }
                if index[axis] < extents[axis] { break }
                for op in offsets.indices { offsets[op] -= strides[op][axis] * extents[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

// MARK: - Binary operations

/// A binary operation on two scalars, fixed at compile time. The kernel is generic over it
/// rather than taking a closure: a closure reached the workers only through the closure they
/// run, so it was called once per element and the loop did not vectorize (the residual adds
/// alone were 3% of the U-Net's forward); a type parameter is specialized into the loop.
protocol BinaryScalarOperation {
    static func apply(_ a: Float, _ b: Float) -> Float
}

enum Addition: BinaryScalarOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b }
}

enum Subtraction: BinaryScalarOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b }
}

enum Multiplication: BinaryScalarOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b }
}

enum Division: BinaryScalarOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b }
}

/// `a` where `a ≥ b` (ties go to `a`), else `b`; a comparison with NaN is false, so a NaN
/// on either side picks `b`.
enum Maximum: BinaryScalarOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a >= b ? a : b }
}

/// `a` where `a ≤ b`, else `b` (a NaN on either side picks `b`).
enum Minimum: BinaryScalarOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a <= b ? a : b }
}

/// 1 where `Maximum` picks `a`, else 0: where its gradient goes.
enum PicksMaximumOperand: BinaryScalarOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 }
}

/// 1 where `Minimum` picks `a`, else 0.
enum PicksMinimumOperand: BinaryScalarOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 }
}

// MARK: - Binary kernel

/// `out[i] = Operation.apply(a[ia], b[ib])` over the broadcast of `shapeA` and `shapeB` (which
/// must be broadcast-compatible and produce `outShape`). `out` is contiguous.
@inline(__always)
func broadcastBinaryKernel<Operation: BinaryScalarOperation>(
    _ a: UnsafePointer<Float>, _ shapeA: [Int],
    _ b: UnsafePointer<Float>, _ shapeB: [Int],
    into out: UnsafeMutablePointer<Float>, outShape: [Int],
    _ operation: Operation.Type
) {
    @inline(__always) func f(_ x: Float, _ y: Float) -> Float { Operation.apply(x, y) }
    let rank = outShape.count
    let layout = StridedLayout(outShape: outShape, operandStrides: [
        broadcastStrides(outShape, toRank: rank),
        broadcastStrides(shapeA, toRank: rank),
        broadcastStrides(shapeB, toRank: rank),
    ])
    let n = layout.extents[layout.extents.count - 1]
    let sa = layout.strides[1].last!, sb = layout.strides[2].last!
    @inline(__always) func run(_ o: UnsafeMutablePointer<Float>, _ pa: UnsafePointer<Float>,
                               _ pb: UnsafePointer<Float>, _ count: Int) {
        switch (sa, sb) {
        case (1, 1): for i in 0..<count { o[i] = f(pa[i], pb[i]) }
        case (1, 0): let vb = pb[0]; for i in 0..<count { o[i] = f(pa[i], vb) }
        case (0, 1): let va = pa[0]; for i in 0..<count { o[i] = f(va, pb[i]) }
        default: for i in 0..<count { o[i] = f(pa[i * sa], pb[i * sb]) }
        }
    }
    // Large outputs are split over the engine's workers (every element is computed alone, so
    // the split cannot change a bit): one long run (same shapes, a scalar operand) in pieces
    // of `elementwiseChunk`, many runs (a per-channel bias) in blocks of whole runs.
    let runs = layout.innerRunCount
    if runs == 1 {
        let pieces = (n + elementwiseChunk - 1) / elementwiseChunk
        parallelFor(pieces) { piece in
            let start = piece * elementwiseChunk
            run(out + start, a + start * sa, b + start * sb, min(n, start + elementwiseChunk) - start)
        }
    } else {
        let blocks = chunkRanges(count: runs, size: max(1, elementwiseChunk / max(1, n)))
        parallelFor(blocks.count) { block in
            layout.forEachInnerRun(in: blocks[block]) { offsets in
                run(out + offsets[0], a + offsets[1], b + offsets[2], n)
            }
        }
    }
}

/// `target[i] += addend[i]` for `count` elements, split over the engine's workers like the
/// binary ops (gradient accumulation in backward sums activation-sized tensors).
func addInPlace(_ target: UnsafeMutablePointer<Float>, _ addend: UnsafePointer<Float>, count: Int) {
    let pieces = (count + elementwiseChunk - 1) / elementwiseChunk
    parallelFor(pieces) { piece in
        let start = piece * elementwiseChunk
        for i in start..<min(count, start + elementwiseChunk) { target[i] += addend[i] }
    }
}

/// Elements per parallel piece of an elementwise op: a piece is worth handing to a worker,
/// and fixed, so the split depends only on the shapes.
let elementwiseChunk = 1 << 16

/// Copies `input` of `shape` broadcast to `outShape` into contiguous `out`.
func broadcastCopyKernel(_ input: UnsafePointer<Float>, _ shape: [Int],
                         into out: UnsafeMutablePointer<Float>, outShape: [Int]) {
    let rank = outShape.count
    let layout = StridedLayout(outShape: outShape, operandStrides: [
        broadcastStrides(outShape, toRank: rank), broadcastStrides(shape, toRank: rank),
    ])
    let n = layout.extents[layout.extents.count - 1]
    let s = layout.strides[1].last!
    layout.forEachInnerRun { offsets in
        let o = out + offsets[0], p = input + offsets[1]
        switch s {
        case 1: o.update(from: p, count: n)
        case 0: o.update(repeating: p[0], count: n)
        default: for i in 0..<n { o[i] = p[i * s] }
        }
    }
}

// MARK: - Same-shape maps

extension Tensor {
    /// A tensor of this shape with `f` applied to every element (no graph recorded).
    @inline(__always)
    func mapScalars(_ f: (Float) -> Float) -> Tensor {
        Tensor.uninitialized(shape: shape) { out in
            withUnsafeScalars { x in
                for i in 0..<x.count { out[i] = f(x[i]) }
            }
        }
    }

    /// `f(self[i], other[i])` for two tensors of the same shape (no graph recorded); the
    /// caller guarantees the shapes match.
    @inline(__always)
    func zipScalars(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        Tensor.uninitialized(shape: shape) { out in
            withUnsafeScalars { x in
                other.withUnsafeScalars { y in
                    for i in 0..<x.count { out[i] = f(x[i], y[i]) }
                }
            }
        }
    }

    /// `f(self[i], b[i], c[i])` for three tensors of the same shape (no graph recorded).
    @inline(__always)
    func zipScalars(_ b: Tensor, _ c: Tensor, _ f: (Float, Float, Float) -> Float) -> Tensor {
        Tensor.uninitialized(shape: shape) { out in
            withUnsafeScalars { x in
                b.withUnsafeScalars { y in
                    c.withUnsafeScalars { z in
                        for i in 0..<x.count { out[i] = f(x[i], y[i], z[i]) }
                    }
                }
            }
        }
    }
}
