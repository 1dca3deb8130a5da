// MARK: - Reductions over axes
// Each output element accumulates its inputs in increasing input index order (a contiguous
// run is summed with eight fixed lanes, then the lanes in a fixed tree), single-threaded, so
// a result never depends on thread count or on how a caller batches its work.

/// The sum of `count` contiguous floats in a fixed order: eight interleaved partial sums
/// (which vectorize), combined pairwise, then the tail.
@inline(__always)
func sumContiguous(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var i = 0
    while i + 8 <= count {
        lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
    while i < count { total += p[i]; i += 1 }
    return total
}

/// The layout of a reduction: output strides over the input's axes (0 on reduced axes).
private func reductionLayout(shape: [Int], reduce: [Bool]) -> StridedLayout {
    var outStrides = [Int](repeating: 0, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) where !reduce[axis] {
        outStrides[axis] = running
        running *= shape[axis]
    }
    var inStrides = [Int](repeating: 0, count: shape.count)
    running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        inStrides[axis] = running
        running *= shape[axis]
    }
    return StridedLayout(outShape: shape, operandStrides: [inStrides, outStrides])
}

/// Sums `input` (contiguous, `shape`) over the axes where `reduce` is true into `out`, whose
/// elements are the kept axes in row-major order. `out` is overwritten.
func reduceSumKernel(_ input: UnsafePointer<Float>, shape: [Int], reduce: [Bool],
                     into out: UnsafeMutablePointer<Float>, outCount: Int) {
    out.update(repeating: 0, count: outCount)
    let layout = reductionLayout(shape: shape, reduce: reduce)
    let n = layout.extents[layout.extents.count - 1]
    let outStride = layout.strides[1].last!
    layout.forEachInnerRun { offsets in
        let p = input + offsets[0], o = out + offsets[1]
        if outStride == 0 {
            o[0] += sumContiguous(p, n)
        } else {
            for i in 0..<n { o[i] += p[i] }
        }
    }
}

/// The maximum of `input` over the reduced axes, and for each output element the flat input
/// index of its first maximal element (first in row-major order). A NaN wins, as in PyTorch,
/// so that a diverged value is not hidden by the maximum.
func reduceMaxKernel(_ input: UnsafePointer<Float>, shape: [Int], reduce: [Bool],
                     into out: UnsafeMutablePointer<Float>, argIndices: UnsafeMutablePointer<Int>,
                     outCount: Int) {
    out.update(repeating: -.infinity, count: outCount)
    argIndices.update(repeating: -1, count: outCount)
    let layout = reductionLayout(shape: shape, reduce: reduce)
    let n = layout.extents[layout.extents.count - 1]
    let outStride = layout.strides[1].last!
    layout.forEachInnerRun { offsets in
        let start = offsets[0]
        for i in 0..<n {
            let o = offsets[1] + i * outStride
            let v = input[start + i]
            // Strict comparison keeps the first maximum; -1 marks a slot not yet visited.
            let current = out[o]
            if argIndices[o] < 0 || v > current || (v.isNaN && !current.isNaN) {
                out[o] = v
                argIndices[o] = start + i
            }
        }
    }
}
