// MARK: - Convolution as one wide sgemm (batched layout, OpenBLAS threads)
//
// The whole batch is unfolded side by side into one [C·kh·kw, N·H'·W'] column matrix, so the
// forward pass, the weight gradient and the column gradient are one large sgemm each, run on
// OpenBLAS's threads. Outputs come out as [O, N·H'·W'] and are permuted to NCHW.

func convolutionForwardBatched(_ problem: ConvProblem, input: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               output: UnsafeMutablePointer<Float>) {
    let g = problem.geometry
    let plane = g.outputPlane, wide = problem.batch * plane
    let cols = UnsafeMutablePointer<Float>.allocate(capacity: g.patchSize * wide)
    let product = UnsafeMutablePointer<Float>.allocate(capacity: problem.outChannels * wide)
    defer { cols.deallocate(); product.deallocate() }
    for n in 0..<problem.batch {
        im2col(g, input: input + n * problem.inputSampleSize, columns: cols + n * plane, rowStride: wide)
    }
    sgemm(transposeA: false, transposeB: false, m: problem.outChannels, n: wide, k: g.patchSize,
          a: weight, b: cols, c: product)
    for n in 0..<problem.batch {
        for o in 0..<problem.outChannels {
            let source = product + o * wide + n * plane
            let target = output + n * problem.outputSampleSize + o * plane
            let b = bias?[o] ?? 0
            for i in 0..<plane { target[i] = source[i] + b }
        }
    }
}

func convolutionBackwardBatched(_ problem: ConvProblem, input: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                                gradInput: UnsafeMutablePointer<Float>?,
                                gradWeight: UnsafeMutablePointer<Float>?,
                                gradBias: UnsafeMutablePointer<Float>?) {
    let g = problem.geometry
    let plane = g.outputPlane, wide = problem.batch * plane
    let dy = UnsafeMutablePointer<Float>.allocate(capacity: problem.outChannels * wide)
    defer { dy.deallocate() }
    for n in 0..<problem.batch {
        for o in 0..<problem.outChannels {
            (dy + o * wide + n * plane).update(from: gradOutput + n * problem.outputSampleSize + o * plane, count: plane)
        }
    }
    if let gradBias {
        for o in 0..<problem.outChannels {
            var total: Float = 0
            for i in 0..<wide { total += dy[o * wide + i] }
            gradBias[o] = total
        }
    }
    let cols = UnsafeMutablePointer<Float>.allocate(capacity: g.patchSize * wide)
    defer { cols.deallocate() }
    if let gradWeight {
        for n in 0..<problem.batch {
            im2col(g, input: input + n * problem.inputSampleSize, columns: cols + n * plane, rowStride: wide)
        }
        sgemm(transposeA: false, transposeB: true, m: problem.outChannels, n: g.patchSize, k: wide,
              a: dy, b: cols, c: gradWeight)
    }
    if let gradInput {
        sgemm(transposeA: true, transposeB: false, m: g.patchSize, n: wide, k: problem.outChannels,
              a: weight, b: dy, c: cols)
        gradInput.update(repeating: 0, count: problem.batch * problem.inputSampleSize)
        for n in 0..<problem.batch {
            col2im(g, columns: cols + n * plane, rowStride: wide, input: gradInput + n * problem.inputSampleSize)
        }
    }
}
