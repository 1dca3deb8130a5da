import CDPLKernels

// MARK: - Winograd F(m×m, 3×3) convolution

/// A 3×3, stride-1, padding-1 convolution computed by Winograd's F(m×m, 3×3) algorithm
/// (Sources/CDPLKernels/winograd.c): F(2×2) does 16 multiplications per 2×2 output block,
/// input channel and output channel where DirectConvolution does 36; F(4×4) 36 per 4×4 block
/// where it does 144. The plane chooses m (`dpl_winograd_tile_size`): 4 on the U-Net's 28×28
/// and 14×14 planes, 2 on 7×7, where F(4×4)'s 2×2 tiles would fill a quarter of a vector.
///
/// Why: the direct kernel already runs its register tiles near this machine's FMA peak, and
/// its 3×3 convolutions were over half of the U-Net's time; in float32 only fewer
/// multiplications could cut that time further (docs/performance.md, sessions "Winograd" and
/// 9).
///
/// Each output element is computed in one fixed order (the 16 channel sums from zero, channel
/// by channel, then the output transform, then bias and shift), whatever the thread count, the
/// batch size or the sample's position in the batch. It rounds differently from the direct
/// and portable paths: the transforms add and subtract inputs and weights before multiplying
/// (docs/performance.md gives the error observed).
struct WinogradConvolution: SampleConvolution {
    /// m: each tile's output rows and columns, 2 or 4.
    let tileSize: Int
    /// The transformed weight U, shared read-only by all workers (and kept by
    /// PackedWeightCache for the next call with the same weight).
    private let packedWeight: PackedWeight
    private let inChannels: Int
    let outChannels: Int
    private let height: Int
    private let width: Int

    /// The transforms cost the same whatever the number of channels, the multiplications saved
    /// grow with both counts. Below 16 channels read (the U-Net's and the CNN's first
    /// convolution reads 1 or 3) the direct kernel stays. Written channels were measured at
    /// 32 → O, 28×28, batch 64, 1 thread (direct / Winograd ms): O = 1: 1.04 / 1.30, O = 4:
    /// 1.35 / 1.49, O = 8: 1.94 / 1.84, O = 16: 3.48 / 2.72 — so from 8 (the U-Net's 32 → 1
    /// head and the stem's input gradient, 32 → 1, stay direct).
    static let minimumInputChannels = 16
    static let minimumOutputChannels = 8

    /// 3×3 "same" convolutions with unit stride, reading at least `minimumInputChannels` and
    /// writing at least `minimumOutputChannels` channels (the forward convolution's input and
    /// output channels; for its input gradient, the other way round).
    static func supports(_ g: ConvGeometry, channelsRead: Int, channelsWritten: Int) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding == 1
            && channelsRead >= minimumInputChannels && channelsWritten >= minimumOutputChannels
    }

    /// The tile side the plane's products are fewest with (`tileSize` overrides it: tests run
    /// every case with both).
    static func tileSize(_ g: ConvGeometry, override: Int?) -> Int {
        override ?? Int(dpl_winograd_tile_size(Int32(g.height), Int32(g.width)))
    }

    /// The forward convolution of `problem` with `weight [O, C, 3, 3]`.
    init?(forward problem: ConvProblem, weight: UnsafePointer<Float>, tileSize: Int? = nil) {
        let g = problem.geometry
        guard Self.supports(g, channelsRead: g.channels, channelsWritten: problem.outChannels) else { return nil }
        self.init(tileSize: Self.tileSize(g, override: tileSize), inChannels: g.channels,
                  outChannels: problem.outChannels, height: g.height, width: g.width,
                  weight: weight, identity: problem.weightIdentity, transposeFlip: false)
    }

    /// The input gradient of `problem`: dx = conv(dy, W transposed over (out, in) and flipped in
    /// space, padding 1), a 3×3 "same" convolution that reads dy's `O` channels.
    init?(inputGradientOf problem: ConvProblem, weight: UnsafePointer<Float>, tileSize: Int? = nil) {
        let g = problem.geometry
        guard Self.supports(g, channelsRead: problem.outChannels, channelsWritten: g.channels) else { return nil }
        self.init(tileSize: Self.tileSize(g, override: tileSize), inChannels: problem.outChannels,
                  outChannels: g.channels, height: g.height, width: g.width,
                  weight: weight, identity: problem.weightIdentity, transposeFlip: true)
    }

    private init(tileSize: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
                 weight: UnsafePointer<Float>, identity: ObjectIdentifier?, transposeFlip: Bool) {
        precondition(tileSize == 2 || tileSize == 4, "Winograd tile side \(tileSize): only 2 and 4 are implemented")
        self.tileSize = tileSize
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        // As stored: [O, C, 3, 3], or for the input gradient [C, O, 3, 3] read transposed.
        let shape = transposeFlip ? [inChannels, outChannels, 3, 3] : [outChannels, inChannels, 3, 3]
        let m = Int32(tileSize)
        packedWeight = PackedWeightCache.shared.packed(
            .winograd(tileSize: tileSize, transposeFlip: transposeFlip), weight: weight, identity: identity,
            weightCount: outChannels * inChannels * 9, shape: shape,
            packedCount: dpl_winograd_packed_weight_count(m, Int32(outChannels), Int32(inChannels))) { packed in
            // On the workers, by blocks of output channels: a weight being trained is packed
            // on every call, and serially that was 6% of a training step's wall time.
            let blocks = Int(dpl_winograd_weight_blocks(Int32(outChannels)))
            let pieces = chunkRanges(count: blocks, size: itemsPerChunk(workPerItem: 8 * inChannels * (tileSize + 2) * (tileSize + 2)))
            parallelFor(pieces.count) { piece in
                dpl_winograd_pack_weight(m, weight, Int32(outChannels), Int32(inChannels), transposeFlip ? 1 : 0,
                                         Int32(pieces[piece].lowerBound), Int32(pieces[piece].count), packed)
            }
        }
    }

    /// Floats of one sample's input and output (the same plane: a "same" convolution).
    var inputSampleSize: Int { inChannels * height * width }
    var outputSampleSize: Int { outChannels * height * width }

    /// Scratch for one sample's transformed input and products, on a cache line boundary (every
    /// vector of it is then one line: a vector split over two lines costs two loads, on every
    /// read of the matrix products); the caller deallocates it.
    func makeScratch() -> UnsafeMutablePointer<Float> {
        let count = dpl_winograd_scratch_count(Int32(tileSize), Int32(inChannels), Int32(outChannels), Int32(height),
                                               Int32(width))
        return UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    /// One sample: writes `output` (overwritten) as `(bias + conv) + shift` per output channel;
    /// `bias` and `shift` ([outChannels]) may be nil.
    func apply(to input: UnsafePointer<Float>, bias: UnsafePointer<Float>?, shift: UnsafePointer<Float>?,
               into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        dpl_winograd_forward_avx512(Int32(tileSize), input, packedWeight.pointer, Int32(inChannels), Int32(outChannels), Int32(height),
                                    Int32(width), bias, shift, scratch, output)
    }
}

// MARK: - Weight gradient

extension WinogradConvolution {
    /// The weight gradient takes the Winograd path for the convolutions whose forward does (the
    /// same tile side: the plane's).
    static func supportsWeightGradient(_ problem: ConvProblem) -> Bool {
        supports(problem.geometry, channelsRead: problem.geometry.channels, channelsWritten: problem.outChannels)
    }

    /// Floats of one run's partial weight gradient: the direct kernel's accumulator layout
    /// [O₁₆ / 16][C][9][16], in which runs' partials are added before one transpose to
    /// [O, C, 3, 3] (`finishWeightGradient`).
    static func partialWeightGradientSize(_ problem: ConvProblem) -> Int {
        dpl_conv_direct_weight_accumulator_count(Int32(problem.geometry.channels), Int32(problem.outChannels))
    }

    /// The partial weight gradient (overwritten) of `samples`: dU[ξ] = Σ dM[ξ] · V[ξ]ᵀ sample by
    /// sample and tile slot by tile slot, then dW = Gᵀ dU G (winograd.h). `tileSize` overrides
    /// the plane's tile side (tests run both).
    ///
    /// Why: the direct kernel's weight gradient was 22% of a U-Net training step; this does
    /// 36 multiply-adds per 4×4 block, input and output channel where it did 144.
    static func partialWeightGradient(_ problem: ConvProblem, samples: Range<Int>, input: UnsafePointer<Float>,
                                      gradOutput: UnsafePointer<Float>, into partial: UnsafeMutablePointer<Float>,
                                      tileSize: Int? = nil) {
        guard !samples.isEmpty else {
            partial.update(repeating: 0, count: partialWeightGradientSize(problem))
            return
        }
        let g = problem.geometry
        let m = Int32(Self.tileSize(g, override: tileSize))
        let (channels, outChannels, height, width) = (Int32(g.channels), Int32(problem.outChannels),
                                                      Int32(g.height), Int32(g.width))
        let scratch = UnsafeMutablePointer<Float>.allocate(
            capacity: dpl_winograd_weight_gradient_scratch_count(m, channels, outChannels, height, width))
        let accumulator = UnsafeMutablePointer<Float>.allocate(
            capacity: dpl_winograd_weight_accumulator_count(m, channels, outChannels))
        defer { scratch.deallocate(); accumulator.deallocate() }
        for n in samples {
            dpl_winograd_weight_gradient_avx512(m, input + n * problem.inputSampleSize,
                                                gradOutput + n * problem.outputSampleSize, channels, outChannels,
                                                height, width, scratch, accumulator, n == samples.lowerBound ? 1 : 0)
        }
        dpl_winograd_weight_gradient_finish(m, accumulator, channels, outChannels, partial)
    }

    /// `gradWeight [O, C, 3, 3]` (overwritten) from the sum of the runs' partials.
    static func finishWeightGradient(_ problem: ConvProblem, partial: UnsafePointer<Float>,
                                     into gradWeight: UnsafeMutablePointer<Float>) {
        dpl_conv_direct_weight_gradient_finish(partial, Int32(problem.geometry.channels), Int32(problem.outChannels),
                                               gradWeight)
    }
}
