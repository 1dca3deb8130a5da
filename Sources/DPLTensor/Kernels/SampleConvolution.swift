// MARK: - Convolutions computed one sample at a time

/// A convolution kernel that computes one sample at a time from a scratch buffer of its own
/// (the direct kernel, DirectConvolution.swift, and Winograd, WinogradConvolution.swift).
/// Both split a batch the same way, so that is written once here: the problem's sample chunks
/// across the engine's workers, one scratch per worker. A sample's result cannot depend on the
/// thread count or on which chunk it falls in.
protocol SampleConvolution {
    /// The channels each sample's output has (`shift` is indexed by them).
    var outChannels: Int { get }
    /// Floats of one sample's input and output.
    var inputSampleSize: Int { get }
    var outputSampleSize: Int { get }
    /// A scratch buffer for one sample; the caller deallocates it.
    func makeScratch() -> UnsafeMutablePointer<Float>
    /// One sample: writes `output` (overwritten) as `(bias + conv) + shift` per output channel;
    /// `bias` and `shift` ([outChannels]) may be nil.
    func apply(to input: UnsafePointer<Float>, bias: UnsafePointer<Float>?, shift: UnsafePointer<Float>?,
               into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>)
}

extension SampleConvolution {
    /// The whole batch (`input` and `output` hold this convolution's input and output per
    /// sample: for an input gradient, dy and dx); `channelShift` is `[N, outChannels]`, and
    /// `residual` (the output's shape) is added to each sample's output right after it.
    func applyToBatch(_ problem: ConvProblem, input: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                      channelShift: UnsafePointer<Float>?, residual: UnsafePointer<Float>? = nil,
                      output: UnsafeMutablePointer<Float>) {
        let chunks = problem.sampleChunks
        parallelFor(chunks.count) { chunk in
            let scratch = makeScratch()
            defer { scratch.deallocate() }
            for n in chunks[chunk] {
                apply(to: input + n * inputSampleSize, bias: bias,
                      shift: channelShift.map { $0 + n * outChannels },
                      into: output + n * outputSampleSize, scratch: scratch)
                if let residual {
                    addResidual(residual + n * outputSampleSize, to: output + n * outputSampleSize, count: outputSampleSize)
                }
            }
        }
    }
}
