// MARK: - Convolution through im2col + sgemm
//
// Per sample n, with the column matrix X_n = im2col(x_n) of shape [C·kh·kw, H'·W']:
//
//     forward:  y_n  = W · X_n (+ b)            [O, H'·W'] — already NCHW order for sample n
//     input:    dx_n = col2im(Wᵀ · dy_n), or for a "same" convolution conv(dy_n, W flipped)
//               (see TransposedConvolution)
//     weight:   dW   = Σ_n dy_n · X_nᵀ
//     bias:     db   = Σ_n Σ_positions dy_n
//
// On CPUs with AVX-512, 3×3 "same" convolutions reading at least 16 channels and writing at
// least 8 run forward, input gradient and weight gradient through Winograd F(4×4, 3×3) or
// F(2×2, 3×3) (WinogradConvolution); the other unit-stride and stride-2 convolutions with a
// square kernel (1×1 included) through the direct kernel of DirectConvolution, and the other
// unit-stride 3×3 ones their weight gradient too; this file's path stays the portable one and
// the fallback for the other convolutions, the stride-2 input gradient and the weight
// gradient of all but the 3×3 ones.
//
// Samples are independent, so the engine's workers take the batch in chunks while OpenBLAS
// runs single-threaded (see Parallel.swift). The batched alternative — one wide
// [C·kh·kw, N·H'·W'] column matrix and one large sgemm on OpenBLAS threads — was measured
// slower on this machine and removed; the numbers are in docs/performance.md.

/// The sizes of a whole convolution call: batch, output channels, and per-sample geometry.
struct ConvProblem {
    let batch: Int
    let outChannels: Int
    let geometry: ConvGeometry
    /// What identifies the weight across calls for PackedWeightCache: its autodiff leaf (a
    /// model's parameter keeps one leaf for life, while its storage may move when an optimizer
    /// writes to a shared buffer), or nil to go by the storage's address.
    var weightIdentity: ObjectIdentifier? = nil

    var inputSampleSize: Int { geometry.channels * geometry.inputPlane }
    var outputSampleSize: Int { outChannels * geometry.outputPlane }
    var weightSize: Int { outChannels * geometry.patchSize }

    /// Batch chunks for reductions over the batch (weight and bias gradients). Their number
    /// depends only on the batch size — at most 16, bounding the memory of per-chunk partial
    /// sums — so the reduction order, and thus every bit, is the same for any thread count.
    var reductionChunks: [Range<Int>] {
        chunkRanges(count: batch, size: (batch + 15) / 16)
    }

    /// Batch chunks for per-sample work: each chunk reuses one scratch column matrix for its
    /// samples instead of allocating one per sample (a U-Net column matrix is up to 2.7 MB,
    /// and freshly mapped memory costs page faults on every allocation). Each sample's result
    /// is computed alone, so the chunking changes no bits.
    var sampleChunks: [Range<Int>] {
        chunkRanges(count: batch, size: 4)
    }
}

/// A scratch buffer for one sample's column matrix, or nil for a pointwise kernel (whose
/// column matrix is the sample itself); the caller deallocates it.
private func makeColumnBuffer(_ problem: ConvProblem) -> UnsafeMutablePointer<Float>? {
    problem.geometry.isPointwise ? nil
        : UnsafeMutablePointer<Float>.allocate(capacity: problem.geometry.patchSize * problem.geometry.outputPlane)
}

/// The column matrix of sample `n`: the sample itself for a pointwise kernel, else unfolded
/// into `scratch`.
@inline(__always)
private func columns(of n: Int, _ problem: ConvProblem, input: UnsafePointer<Float>,
                     scratch: UnsafeMutablePointer<Float>?) -> UnsafePointer<Float> {
    let sample = input + n * problem.inputSampleSize
    guard let scratch else { return sample }
    im2col(problem.geometry, input: sample, columns: scratch, rowStride: problem.geometry.outputPlane)
    return UnsafePointer(scratch)
}

// MARK: - Forward

/// `output[N, O, H', W'] = conv(input[N, C, H, W], weight[O, C, kh, kw]) + bias[O]`.
/// With `channelShift [N, O]`, `channelShift[n, o]` is then added to every position of
/// channel o of sample n, right after that sample's product (its output is still in cache);
/// with `residual` (the output's shape), then that sample's residual.
func convolutionForward(_ problem: ConvProblem, input: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        channelShift: UnsafePointer<Float>? = nil, residual: UnsafePointer<Float>? = nil,
                        output: UnsafeMutablePointer<Float>) {
    // Read on the calling thread: workers do not see a caller's `VectorISA.with` override.
    let isa = VectorISA.current
    // Winograd where it applies, else the direct kernel, else im2col + sgemm (the portable path).
    if isa == .avx512, let kernel: any SampleConvolution = WinogradConvolution(forward: problem, weight: weight)
                                                          ?? DirectConvolution(forward: problem, weight: weight) {
        kernel.applyToBatch(problem, input: input, bias: bias, channelShift: channelShift, residual: residual,
                            output: output)
        return
    }
    let g = problem.geometry
    let plane = g.outputPlane
    let chunks = problem.sampleChunks
    parallelFor(chunks.count) { chunk in
        let scratch = makeColumnBuffer(problem)
        defer { scratch?.deallocate() }
        for n in chunks[chunk] {
            let cols = columns(of: n, problem, input: input, scratch: scratch)
            let out = output + n * problem.outputSampleSize
            // The bias goes in first and sgemm accumulates onto it (beta = 1): one pass over
            // the output instead of OpenBLAS zeroing it (beta = 0) and a second adding the bias.
            if let bias {
                for o in 0..<problem.outChannels { (out + o * plane).update(repeating: bias[o], count: plane) }
            }
            sgemm(transposeA: false, transposeB: false, m: problem.outChannels, n: plane, k: g.patchSize,
                  a: weight, b: cols, beta: bias == nil ? 0 : 1, c: out)
            if let channelShift {
                for o in 0..<problem.outChannels {
                    let row = out + o * plane, shift = channelShift[n * problem.outChannels + o]
                    for i in 0..<plane { row[i] += shift }
                }
            }
            if let residual { addResidual(residual + n * problem.outputSampleSize, to: out, count: problem.outputSampleSize) }
        }
    }
}

/// `output[i] += residual[i]`: one sample's residual, added while its output is in cache.
/// (`residual + output` in the unfused form: the same sum, addition commutes exactly.)
@inline(__always)
func addResidual(_ residual: UnsafePointer<Float>, to output: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { output[i] += residual[i] }
}

// MARK: - Backward

/// Gradients of the convolution. Each output pointer may be nil when that gradient is not
/// needed; the work for it is then skipped. All non-nil outputs are overwritten.
func convolutionBackward(_ problem: ConvProblem, input: UnsafePointer<Float>,
                         weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                         gradInput: UnsafeMutablePointer<Float>?,
                         gradWeight: UnsafeMutablePointer<Float>?,
                         gradBias: UnsafeMutablePointer<Float>?) {
    let g = problem.geometry
    let plane = g.outputPlane
    // Read on the calling thread: workers do not see a caller's `VectorISA.with` override.
    let isa = VectorISA.current

    if let gradInput {
        if isa == .avx512, let kernel: any SampleConvolution = WinogradConvolution(inputGradientOf: problem, weight: weight)
                                                              ?? DirectConvolution(inputGradientOf: problem, weight: weight) {
            kernel.applyToBatch(problem, input: gradOutput, bias: nil, channelShift: nil, residual: nil, output: gradInput)
            return convolutionParameterGradients(problem, isa: isa, input: input, gradOutput: gradOutput,
                                                 gradWeight: gradWeight, gradBias: gradBias)
        }
        if let transposed = TransposedConvolution(problem, weight: weight) {
            defer { transposed.weight.deallocate() }
            let chunks = problem.sampleChunks
            parallelFor(chunks.count) { chunk in
                let columns = transposed.makeColumnBuffer()
                defer { columns.deallocate() }
                for n in chunks[chunk] {
                    transposed.apply(to: gradOutput + n * problem.outputSampleSize,
                                     into: gradInput + n * problem.inputSampleSize, scratch: columns)
                }
            }
            return convolutionParameterGradients(problem, isa: isa, input: input, gradOutput: gradOutput,
                                                 gradWeight: gradWeight, gradBias: gradBias)
        }
        let chunks = problem.sampleChunks
        parallelFor(chunks.count) { chunk in
            let dcols = makeColumnBuffer(problem)
            defer { dcols?.deallocate() }
            for n in chunks[chunk] {
                let dy = gradOutput + n * problem.outputSampleSize
                let dx = gradInput + n * problem.inputSampleSize
                guard let dcols else {
                    // Pointwise: the column matrix is dx itself.
                    sgemm(transposeA: true, transposeB: false, m: g.patchSize, n: plane, k: problem.outChannels,
                          a: weight, b: dy, c: dx)
                    continue
                }
                sgemm(transposeA: true, transposeB: false, m: g.patchSize, n: plane, k: problem.outChannels,
                      a: weight, b: dy, c: dcols)
                dx.update(repeating: 0, count: problem.inputSampleSize)
                col2im(g, columns: dcols, rowStride: plane, input: dx, wide: isa == .avx512)
            }
        }
    }

    convolutionParameterGradients(problem, isa: isa, input: input, gradOutput: gradOutput,
                                  gradWeight: gradWeight, gradBias: gradBias)
}

/// The weight and bias gradients (each skipped when nil): per batch chunk, in fixed chunks,
/// summed in chunk order.
private func convolutionParameterGradients(_ problem: ConvProblem, isa: VectorISA, input: UnsafePointer<Float>,
                                           gradOutput: UnsafePointer<Float>,
                                           gradWeight: UnsafeMutablePointer<Float>?,
                                           gradBias: UnsafeMutablePointer<Float>?) {
    let g = problem.geometry
    let plane = g.outputPlane
    guard gradWeight != nil || gradBias != nil else { return }
    let chunks = problem.reductionChunks
    let winograd = isa == .avx512 && WinogradConvolution.supportsWeightGradient(problem)
    let direct = isa == .avx512 && DirectConvolution.supportsWeightGradient(problem)
    // Winograd's partials stay in the direct kernel's accumulator layout until they are summed:
    // one transpose to [O, C, 3, 3] instead of one per chunk.
    let partialSize = winograd ? WinogradConvolution.partialWeightGradientSize(problem) : problem.weightSize
    let weightPartials = gradWeight == nil ? nil
        : UnsafeMutablePointer<Float>.allocate(capacity: chunks.count * partialSize)
    let biasPartials = gradBias == nil ? nil
        : UnsafeMutablePointer<Float>.allocate(capacity: chunks.count * problem.outChannels)
    defer { weightPartials?.deallocate(); biasPartials?.deallocate() }

    parallelFor(chunks.count) { chunk in
        if let weightPartials, winograd {
            WinogradConvolution.partialWeightGradient(problem, samples: chunks[chunk], input: input,
                                                      gradOutput: gradOutput, into: weightPartials + chunk * partialSize)
        } else if let weightPartials, direct {
            DirectConvolution.weightGradient(problem, samples: chunks[chunk], input: input, gradOutput: gradOutput,
                                             into: weightPartials + chunk * problem.weightSize)
        } else if let weightPartials {
            let partial = weightPartials + chunk * problem.weightSize
            let scratch = makeColumnBuffer(problem)
            defer { scratch?.deallocate() }
            for n in chunks[chunk] {
                let cols = columns(of: n, problem, input: input, scratch: scratch)
                sgemm(transposeA: false, transposeB: true, m: problem.outChannels, n: g.patchSize, k: plane,
                      a: gradOutput + n * problem.outputSampleSize, b: cols,
                      beta: n == chunks[chunk].lowerBound ? 0 : 1, c: partial)
            }
        }
        if let biasPartials {
            let partial = biasPartials + chunk * problem.outChannels
            partial.update(repeating: 0, count: problem.outChannels)
            for n in chunks[chunk] {
                for o in 0..<problem.outChannels {
                    // Eight interleaved partial sums in a fixed order: the same bits on every
                    // path and thread count, and unlike a running sum the loop vectorizes.
                    partial[o] += sumContiguous(gradOutput + n * problem.outputSampleSize + o * plane, plane)
                }
            }
        }
    }
    if let gradWeight, let weightPartials, winograd {
        let total = UnsafeMutablePointer<Float>.allocate(capacity: partialSize)
        defer { total.deallocate() }
        sumPartials(weightPartials, count: chunks.count, size: partialSize, into: total)
        WinogradConvolution.finishWeightGradient(problem, partial: total, into: gradWeight)
    } else if let gradWeight, let weightPartials {
        sumPartials(weightPartials, count: chunks.count, size: problem.weightSize, into: gradWeight)
    }
    if let gradBias, let biasPartials {
        sumPartials(biasPartials, count: chunks.count, size: problem.outChannels, into: gradBias)
    }
}

// MARK: - Input gradient as a convolution

/// The input gradient of a unit-stride convolution whose output has the input's height and
/// width (a "same" convolution: odd square kernel k with padding (k − 1)/2, such as 3×3 with
/// padding 1), computed as the forward convolution of dy with the weight transposed over
/// (out, in) and flipped in space:
///
///     dx[c, y, x] = Σ_{o, ky, kx} W[o, c, ky, kx] · dy[o, y + p − ky, x + p − kx]
///                 = conv(dy, W')[c, y, x],   W'[c, o, ky, kx] = W[o, c, k−1−ky, k−1−kx]
///
/// This replaces Wᵀ·dy into a [C·k², H·W] column matrix (which OpenBLAS first zeroes) and the
/// scattered adds of col2im by one unfolding of dy (long contiguous copies, see im2col) and
/// one sgemm that writes dx directly: ~25% less time for the U-Net's 3×3 convolutions.
private struct TransposedConvolution {
    /// `W'` as [C, O·k·k]; the caller deallocates it.
    let weight: UnsafeMutablePointer<Float>
    /// The unfolding of one sample of dy ([O, H, W]) for the flipped kernel.
    let geometry: ConvGeometry
    let inChannels: Int

    /// nil unless the convolution is a "same" one with a kernel larger than 1×1 (pointwise
    /// kernels use Wᵀ·dy directly, other shapes col2im).
    init?(_ problem: ConvProblem, weight original: UnsafePointer<Float>) {
        let g = problem.geometry
        guard g.stride == 1, !g.isPointwise, g.outputHeight == g.height, g.outputWidth == g.width,
              g.kernelHeight == g.kernelWidth else { return nil }
        let k = g.kernelHeight, taps = k * k, outChannels = problem.outChannels
        weight = UnsafeMutablePointer<Float>.allocate(capacity: problem.weightSize)
        for o in 0..<outChannels {
            for c in 0..<g.channels {
                let source = original + (o * g.channels + c) * taps
                let target = weight + (c * outChannels + o) * taps
                for tap in 0..<taps { target[taps - 1 - tap] = source[tap] }
            }
        }
        geometry = ConvGeometry(channels: outChannels, height: g.height, width: g.width,
                                kernelHeight: k, kernelWidth: k, stride: 1, padding: g.padding)
        inChannels = g.channels
    }

    /// Scratch for one sample's unfolded dy; the caller deallocates it.
    func makeColumnBuffer() -> UnsafeMutablePointer<Float> {
        UnsafeMutablePointer<Float>.allocate(capacity: geometry.patchSize * geometry.outputPlane)
    }

    /// `dx = conv(dy, W')` for one sample, unfolding dy into `scratch`; overwrites `dx`.
    func apply(to dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>,
               scratch columns: UnsafeMutablePointer<Float>) {
        im2col(geometry, input: dy, columns: columns, rowStride: geometry.outputPlane)
        sgemm(transposeA: false, transposeB: false, m: inChannels, n: geometry.outputPlane, k: geometry.patchSize,
              a: weight, b: columns, c: dx)
    }
}

/// `result[i] = Σ_chunk partials[chunk][i]`, summed in chunk order. The elements are split
/// across the engine's workers (each element's sum keeps its order, so no bit changes): on one
/// thread this was serial work after every weight gradient of a training step.
func sumPartials(_ partials: UnsafePointer<Float>, count: Int, size: Int,
                 into result: UnsafeMutablePointer<Float>) {
    guard count > 0 else {
        result.update(repeating: 0, count: size)
        return
    }
    let pieces = chunkRanges(count: size, size: itemsPerChunk(workPerItem: count))
    parallelFor(pieces.count) { piece in
        let range = pieces[piece]
        (result + range.lowerBound).update(from: partials + range.lowerBound, count: range.count)
        for chunk in 1..<count {
            let partial = partials + chunk * size
            for i in range { result[i] += partial[i] }
        }
    }
}
