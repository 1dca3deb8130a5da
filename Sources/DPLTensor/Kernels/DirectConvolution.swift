import CDPLKernels

// MARK: - Direct AVX-512 convolution

/// A convolution (square kernel, stride 1 or 2) computed by DPL's direct AVX-512 kernel
/// (Sources/CDPLKernels/convolution.c) instead of im2col + sgemm: each sample is copied once
/// into a zero-padded buffer and every output tile is summed in registers straight from it.
///
/// Why: for the U-Net's and the CNN's 3×3 convolutions, im2col writes and sgemm re-reads and
/// packs a column matrix nine times the size of the input; that traffic (im2col, memmove,
/// OpenBLAS packing) cost about as much as the arithmetic. The kernel reads the padded input
/// in place (docs/performance.md, session 6).
///
/// Each output element is summed in one fixed order (bias, then channel by channel and tap by
/// tap), whatever the thread count, the batch size or the sample's position in the batch; the
/// result differs from the portable path only in rounding.
struct DirectConvolution: SampleConvolution {
    /// The packed weight, shared read-only by all workers (and kept by PackedWeightCache for
    /// the next call with the same weight).
    private let packedWeight: PackedWeight
    /// The channels read from each padded sample and the channels written.
    private let inChannels: Int
    let outChannels: Int
    private let height: Int
    private let width: Int
    private let kernelSize: Int
    private let padding: Int
    /// 1, or 2 for the U-Net's downsampling convolutions (read from the input's four phases).
    private let stride: Int

    /// The kernel handles square kernels with stride 1 or 2 (where one read per tap of the
    /// padded input, or of one of its phases, covers a whole output row), 1×1 included: the
    /// U-Net's pointwise skip convolutions (32 → 64 at 14×14 … 96 → 32 at 28×28) were OpenBLAS
    /// products too small to run well, packing their operands on every call; on the direct
    /// kernel purification with gradients took 3% less time (docs/performance.md, session 8).
    static func supports(_ g: ConvGeometry) -> Bool {
        (g.stride == 1 || g.stride == 2) && g.kernelHeight == g.kernelWidth
    }

    /// The forward convolution of `problem` with `weight [O, C, k, k]`.
    init?(forward problem: ConvProblem, weight: UnsafePointer<Float>) {
        let g = problem.geometry
        guard Self.supports(g) else { return nil }
        self.init(inChannels: g.channels, outChannels: problem.outChannels, height: g.height, width: g.width,
                  kernelSize: g.kernelHeight, padding: g.padding, stride: g.stride, weight: weight,
                  identity: problem.weightIdentity, transposeFlip: false)
    }

    /// The input gradient of `problem` as a convolution of dy (`[O, H', W']` per sample) with
    /// the weight transposed and flipped: `dx = conv(dy, W', padding k − 1 − p)`, which has the
    /// input's extent. nil when the padding exceeds k − 1 (some input rows then reach no output).
    init?(inputGradientOf problem: ConvProblem, weight: UnsafePointer<Float>) {
        let g = problem.geometry
        guard Self.supports(g), g.stride == 1, g.padding <= g.kernelHeight - 1 else { return nil }
        self.init(inChannels: problem.outChannels, outChannels: g.channels,
                  height: g.outputHeight, width: g.outputWidth,
                  kernelSize: g.kernelHeight, padding: g.kernelHeight - 1 - g.padding, stride: 1,
                  weight: weight, identity: problem.weightIdentity, transposeFlip: true)
    }

    private init(inChannels: Int, outChannels: Int, height: Int, width: Int, kernelSize: Int, padding: Int,
                 stride: Int, weight: UnsafePointer<Float>, identity: ObjectIdentifier?, transposeFlip: Bool) {
        self.stride = stride
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        self.kernelSize = kernelSize
        self.padding = padding
        let count = dpl_conv_direct_packed_weight_count(Int32(outChannels), Int32(inChannels),
                                                        Int32(kernelSize), Int32(kernelSize))
        let taps = kernelSize * kernelSize
        // As stored: [O, C, k, k], or for the input gradient [C, O, k, k] read transposed.
        let shape = transposeFlip ? [inChannels, outChannels, kernelSize, kernelSize]
                                  : [outChannels, inChannels, kernelSize, kernelSize]
        packedWeight = PackedWeightCache.shared.packed(
            .direct(transposeFlip: transposeFlip), weight: weight, identity: identity, weightCount: outChannels * inChannels * taps,
            shape: shape, packedCount: count) {
            dpl_conv_direct_pack_weight(weight, Int32(outChannels), Int32(inChannels), Int32(kernelSize),
                                        Int32(kernelSize), transposeFlip ? 1 : 0, $0)
        }
    }

    /// Floats of one sample's input and output.
    var inputSampleSize: Int { inChannels * height * width }
    var outputSampleSize: Int {
        outChannels * ((height + 2 * padding - kernelSize) / stride + 1) * ((width + 2 * padding - kernelSize) / stride + 1)
    }

    /// Scratch for one padded sample (or its phases); the caller deallocates it.
    func makeScratch() -> UnsafeMutablePointer<Float> {
        let (c, h, w, k, p) = (Int32(inChannels), Int32(height), Int32(width), Int32(kernelSize), Int32(padding))
        return .allocate(capacity: stride == 1 ? dpl_conv_direct_padded_count(c, h, w, k, k, p)
                                               : dpl_conv_direct_phases_count(c, h, w, p))
    }

    /// One sample: pads `input` into `scratch`, then writes `output` (overwritten) as
    /// `(bias + conv) + shift` per output channel; `bias` and `shift` ([outChannels]) may be nil.
    func apply(to input: UnsafePointer<Float>, bias: UnsafePointer<Float>?, shift: UnsafePointer<Float>?,
               into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let (c, h, w, k, p) = (Int32(inChannels), Int32(height), Int32(width), Int32(kernelSize), Int32(padding))
        if stride == 1 {
            dpl_conv_direct_pad(input, c, h, w, k, k, p, scratch)
            dpl_conv_direct_forward_avx512(scratch, packedWeight.pointer, c, Int32(outChannels), h, w, k, k, p,
                                           bias, shift, output)
        } else {
            dpl_conv_direct_pad_phases(input, c, h, w, p, scratch)
            dpl_conv_direct_forward_stride2_avx512(scratch, packedWeight.pointer, c, Int32(outChannels), h, w, k, k, p,
                                                   bias, shift, output)
        }
    }

    // MARK: Weight gradient

    /// The direct weight-gradient kernel covers unit-stride 3×3 convolutions with at least 8
    /// output channels: it vectorizes over 16 output channels, so with fewer most lanes would
    /// be idle and sgemm is faster (the U-Net's 32 → 1 output convolution).
    static func supportsWeightGradient(_ problem: ConvProblem) -> Bool {
        let g = problem.geometry
        return g.stride == 1 && g.kernelHeight == 3 && g.kernelWidth == 3 && problem.outChannels >= 8
    }

    /// `gradWeight [O, C, 3, 3]` (overwritten) summed over `samples`, sample by sample and
    /// position by position in that order.
    static func weightGradient(_ problem: ConvProblem, samples: Range<Int>, input: UnsafePointer<Float>,
                               gradOutput: UnsafePointer<Float>, into gradWeight: UnsafeMutablePointer<Float>) {
        let g = problem.geometry
        let (channels, outChannels) = (Int32(g.channels), Int32(problem.outChannels))
        let positions = Int32(g.outputPlane)
        let (height, width, padding) = (Int32(g.height), Int32(g.width), Int32(g.padding))
        let padded = UnsafeMutablePointer<Float>.allocate(
            capacity: dpl_conv_direct_padded_count(channels, height, width, 3, 3, padding))
        let transposed = UnsafeMutablePointer<Float>.allocate(
            capacity: dpl_conv_direct_transposed_count(outChannels, positions))
        let accumulator = UnsafeMutablePointer<Float>.allocate(
            capacity: dpl_conv_direct_weight_accumulator_count(channels, outChannels))
        defer { padded.deallocate(); transposed.deallocate(); accumulator.deallocate() }
        for n in samples {
            dpl_conv_direct_pad(input + n * problem.inputSampleSize, channels, height, width, 3, 3, padding, padded)
            dpl_conv_direct_transpose(gradOutput + n * problem.outputSampleSize, outChannels, positions, transposed)
            dpl_conv_direct_weight_gradient_3x3_avx512(padded, transposed, channels, outChannels, height, width,
                                                       padding, accumulator, n == samples.lowerBound ? 1 : 0)
        }
        if samples.isEmpty {
            gradWeight.update(repeating: 0, count: problem.weightSize)
        } else {
            dpl_conv_direct_weight_gradient_finish(accumulator, channels, outChannels, gradWeight)
        }
    }
}
