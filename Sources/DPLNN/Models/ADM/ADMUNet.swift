import Foundation
import DPLTensor

/// guided-diffusion's `UNetModel` (Dhariwal & Nichol 2021; guided_diffusion/unet.py in
/// NVlabs/DiffPure) as DiffPure uses it for ImageNet (configs/imagenet.yml, the checkpoint
/// `256x256_diffusion_uncond.pt`): 256×256, 256 base channels, channel_mult
/// (1, 1, 2, 2, 4, 4), 2 residual blocks per level, attention at 32, 16 and 8 with 64 channels
/// per head, scale-shift conditioning, residual up/down-sampling, unconditional, learned σ
/// (6 output channels: ε̂ and the variance interpolation). Run in float32 (upstream converts
/// the torso to float16 on GPUs).
///
///     emb = time_embed.2(SiLU(time_embed.0(sinusoid(t, C))))     (cos first, then sin)
///     input_blocks: conv3×3, then per level n × [block (+ attention)], a down block between levels
///     middle_block: block, attention, block
///     output_blocks: per level from the last, (n + 1) × [block(cat(h, hs.pop())) (+ attention)
///                    (+ an up block after the last, except at level 0)]
///     out: conv3×3(SiLU(GroupNorm(h)))
///
/// Module names equal upstream's (`input_blocks.1.0.in_layers.0.weight`,
/// `middle_block.1.qkv.weight`, `out.2.bias`, …). As a `NoisePredictor` it returns the ε half
/// of the output, as DiffPure's `RevVPSDE` does with `score_type='guided_diffusion'`.
public final class ADMUNet: Module, NoisePredictor {
    /// The shape of an `ADMUNet`; stored in weight files as its architecture.
    public struct Configuration: Codable, Equatable, Sendable {
        /// Image channels (input; the output has twice as many with `learnSigma`).
        public var imageChannels = 3
        /// Height and width of the square images.
        public var imageSize = 256
        /// Base width (`num_channels`).
        public var modelChannels = 256
        /// Each level's width as a multiple of `modelChannels` (`channel_mult`).
        public var channelMultipliers = [1, 1, 2, 2, 4, 4]
        /// Residual blocks per level on the way down (`num_res_blocks`).
        public var residualBlocks = 2
        /// Resolutions with attention (`attention_resolutions`).
        public var attentionResolutions = [32, 16, 8]
        /// Channels per attention head (`num_head_channels`).
        public var headChannels = 64
        /// Whether the output carries the variance channels too (`learn_sigma`).
        public var learnSigma = true

        /// DiffPure's ImageNet model (configs/imagenet.yml).
        public static let imagenet256 = Configuration()

        /// A configuration; the defaults are DiffPure's ImageNet model.
        public init(imageChannels: Int = 3, imageSize: Int = 256, modelChannels: Int = 256,
                    channelMultipliers: [Int] = [1, 1, 2, 2, 4, 4], residualBlocks: Int = 2,
                    attentionResolutions: [Int] = [32, 16, 8], headChannels: Int = 64, learnSigma: Bool = true) {
            self.imageChannels = imageChannels
            self.imageSize = imageSize
            self.modelChannels = modelChannels
            self.channelMultipliers = channelMultipliers
            self.residualBlocks = residualBlocks
            self.attentionResolutions = attentionResolutions
            self.headChannels = headChannels
            self.learnSigma = learnSigma
        }
    }

    /// One `TimestepEmbedSequential`: a block, optional attention, optional up-sampling block.
    final class Sequence: Module {
        let first: any Module   // the input convolution or a residual block
        let attention: ADMAttentionBlock?
        let upsample: ADMResidualBlock?
        init(first: any Module, attention: ADMAttentionBlock? = nil, upsample: ADMResidualBlock? = nil) {
            self.first = first
            self.attention = attention
            self.upsample = upsample
        }
        var children: [(name: String, module: any Module)] {
            var list: [(name: String, module: any Module)] = [("0", first)]
            if let attention { list.append(("\(list.count)", attention)) }
            if let upsample { list.append(("\(list.count)", upsample)) }
            return list
        }
        func callAsFunction(_ x: Tensor, activatedEmbedding: Tensor) throws -> Tensor {
            var h: Tensor
            if let block = first as? ADMResidualBlock {
                h = try block(x, activatedEmbedding: activatedEmbedding)
            } else if let conv = first as? Conv2d {
                h = try conv(x)
            } else {
                throw TensorError("adm", "an input block is neither a convolution nor a residual block")
            }
            if let attention { h = try attention(h) }
            if let upsample { h = try upsample(h, activatedEmbedding: activatedEmbedding) }
            return h
        }
    }

    /// The configuration this model was built with.
    public let configuration: Configuration
    let timeLinear0: Linear
    let timeLinear2: Linear
    let inputBlocks: [Sequence]
    let middle: (ADMResidualBlock, ADMAttentionBlock, ADMResidualBlock)
    let outputBlocks: [Sequence]
    let outNorm: GroupNorm
    let outConv: Conv2d

    /// A freshly initialized model (PyTorch's default initialization, keyed by `key`).
    /// - Throws: `TensorError` when the image size does not halve cleanly across the levels, a
    ///   width is not a multiple of 32, or an attention width not a multiple of `headChannels`.
    public init(_ configuration: Configuration = .imagenet256, key: RandomKey) throws {
        let c = configuration
        guard !c.channelMultipliers.isEmpty, c.residualBlocks >= 1,
              c.imageSize % (1 << (c.channelMultipliers.count - 1)) == 0 else {
            throw TensorError("adm", "image size \(c.imageSize) must halve cleanly across \(c.channelMultipliers.count) levels, with at least one residual block")
        }
        func k(_ name: String) -> RandomKey { key.forPurpose(RandomPurpose("init." + name)) }
        let embeddingWidth = 4 * c.modelChannels
        timeLinear0 = try Linear(inFeatures: c.modelChannels, outFeatures: embeddingWidth, key: k("time_embed.0"))
        timeLinear2 = try Linear(inFeatures: embeddingWidth, outFeatures: embeddingWidth, key: k("time_embed.2"))
        var channels = c.channelMultipliers[0] * c.modelChannels
        let firstWidth = channels
        var inputs = [Sequence(first: try Conv2d(inChannels: c.imageChannels, outChannels: channels, kernel: 3, padding: 1, key: k("input_blocks.0.0")))]
        var skipWidths = [channels]
        var resolution = c.imageSize
        func attention(_ width: Int, _ name: String) throws -> ADMAttentionBlock? {
            c.attentionResolutions.contains(resolution) ? try ADMAttentionBlock(channels: width, headChannels: c.headChannels, key: k(name)) : nil
        }
        for (level, multiplier) in c.channelMultipliers.enumerated() {
            for _ in 0..<c.residualBlocks {
                let name = "input_blocks.\(inputs.count)"
                let block = try ADMResidualBlock(inChannels: channels, outChannels: multiplier * c.modelChannels,
                                                 embeddingWidth: embeddingWidth, key: k(name + ".0"))
                channels = multiplier * c.modelChannels
                inputs.append(Sequence(first: block, attention: try attention(channels, name + ".1")))
                skipWidths.append(channels)
            }
            if level != c.channelMultipliers.count - 1 {
                inputs.append(Sequence(first: try ADMResidualBlock(inChannels: channels, outChannels: channels, embeddingWidth: embeddingWidth,
                                                                   resampling: .down, key: k("input_blocks.\(inputs.count).0"))))
                skipWidths.append(channels)
                resolution /= 2
            }
        }
        inputBlocks = inputs
        middle = (try ADMResidualBlock(inChannels: channels, outChannels: channels, embeddingWidth: embeddingWidth, key: k("middle_block.0")),
                  try ADMAttentionBlock(channels: channels, headChannels: c.headChannels, key: k("middle_block.1")),
                  try ADMResidualBlock(inChannels: channels, outChannels: channels, embeddingWidth: embeddingWidth, key: k("middle_block.2")))
        var outputs: [Sequence] = []
        for (level, multiplier) in c.channelMultipliers.enumerated().reversed() {
            for i in 0...c.residualBlocks {
                let name = "output_blocks.\(outputs.count)"
                let skip = skipWidths.removeLast()
                let block = try ADMResidualBlock(inChannels: channels + skip, outChannels: multiplier * c.modelChannels,
                                                 embeddingWidth: embeddingWidth, key: k(name + ".0"))
                channels = multiplier * c.modelChannels
                let attend = try attention(channels, name + ".1")
                var upsample: ADMResidualBlock?
                if level > 0 && i == c.residualBlocks {
                    upsample = try ADMResidualBlock(inChannels: channels, outChannels: channels, embeddingWidth: embeddingWidth,
                                                    resampling: .up, key: k(name + ".up"))
                    resolution *= 2
                }
                outputs.append(Sequence(first: block, attention: attend, upsample: upsample))
            }
        }
        outputBlocks = outputs
        outNorm = try GroupNorm(groups: 32, channels: channels)
        outConv = try Conv2d(inChannels: firstWidth, outChannels: c.imageChannels * (c.learnSigma ? 2 : 1), kernel: 3, padding: 1, key: k("out.2"))
        self.configuration = c
    }

    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = [("time_embed.0", timeLinear0), ("time_embed.2", timeLinear2)]
        list += inputBlocks.enumerated().map { ("input_blocks.\($0.offset)", $0.element as any Module) }
        list += [("middle_block.0", middle.0), ("middle_block.1", middle.1), ("middle_block.2", middle.2)]
        list += outputBlocks.enumerated().map { ("output_blocks.\($0.offset)", $0.element as any Module) }
        list += [("out.0", outNorm), ("out.2", outConv)]
        return list
    }

    /// guided-diffusion's `timestep_embedding`: [cos(t f_i), sin(t f_i)], f_i = 10000^(−i/half).
    static func timestepEmbedding(_ timesteps: [Float], dim: Int) throws -> Tensor {
        let half = dim / 2
        let frequencies = (0..<half).map { exp(-log(10000.0) * Double($0) / Double(half)) }
        var scalars = [Float](repeating: 0, count: timesteps.count * dim)
        for (n, t) in timesteps.enumerated() {
            for i in 0..<half {
                let angle = Double(t) * frequencies[i]
                scalars[n * dim + i] = Float(cos(angle))
                scalars[n * dim + half + i] = Float(sin(angle))
            }
        }
        return try Tensor(shape: [timesteps.count, dim], scalars: scalars)
    }

    /// The whole output `[N, C·(1 + learnSigma), H, W]` for images in [−1, 1] and timesteps.
    public func output(_ x: Tensor, timesteps: [Float]) throws -> Tensor {
        let c = configuration
        guard x.rank == 4, x.shape[1] == c.imageChannels, x.shape[2] == c.imageSize, x.shape[3] == c.imageSize else {
            throw TensorError("adm", "the model expects images of shape [N, \(c.imageChannels), \(c.imageSize), \(c.imageSize)] but got \(shapeString(x.shape))")
        }
        guard timesteps.count == x.shape[0] else {
            throw TensorError("adm", "got \(timesteps.count) timesteps for a batch of \(x.shape[0]) images; give one per image")
        }
        let embedding = try timeLinear2(timeLinear0(Self.timestepEmbedding(timesteps, dim: c.modelChannels)).silu()).silu()
        var h = x
        var skips: [Tensor] = []
        for block in inputBlocks {
            h = try block(h, activatedEmbedding: embedding)
            skips.append(h)
        }
        h = try middle.2(middle.1(middle.0(h, activatedEmbedding: embedding)), activatedEmbedding: embedding)
        for block in outputBlocks {
            guard let skip = skips.popLast() else {
                throw TensorError("adm", "the up path ran out of skip connections; the model is inconsistent")
            }
            h = try block(Tensor.concat([h, skip], axis: 1), activatedEmbedding: embedding)
        }
        return try outConv(outNorm(h).silu())
    }

    /// ε̂: the first `imageChannels` output channels (DiffPure's `RevVPSDE` splits off the
    /// learned-variance half the same way).
    public func predictNoise(_ x: Tensor, timesteps: [Float]) throws -> Tensor {
        let out = try output(x, timesteps: timesteps)
        return configuration.learnSigma ? try out.slice(axis: 1, range: 0..<configuration.imageChannels) : out
    }

    /// ε̂ and, with `learnSigma`, the variance values (the second `imageChannels` output
    /// channels, guided-diffusion's `th.split(model_output, C, dim=1)`) from one forward pass.
    public func predictNoiseAndVariance(_ x: Tensor, timesteps: [Float]) throws -> (noise: Tensor, varianceValues: Tensor?) {
        let out = try output(x, timesteps: timesteps)
        let channels = configuration.imageChannels
        guard configuration.learnSigma else { return (out, nil) }
        return (try out.slice(axis: 1, range: 0..<channels), try out.slice(axis: 1, range: channels..<(2 * channels)))
    }

    /// The configuration's image size: the model checks its input against it.
    public var inputSize: Int? { configuration.imageSize }

    /// guided-diffusion's models are trained on integer steps, and DiffPure's `RevVPSDE` calls
    /// them at ⌊τ·1000⌋ (`score_type='guided_diffusion'`).
    public var continuousTimeLabel: ContinuousTimeLabel { .flooredStep }
}

// MARK: - Counting without building

extension ADMUNet.Configuration {
    /// The number of parameters the model has, from the configuration alone (DiffPure's
    /// ImageNet model would need 2.2 GB to build just to count); nil when it overflows.
    /// Walks the same structure as `ADMUNet.init`; tests compare it with built models.
    public var parameterCount: Int? {
        var total = 0, overflow = false
        func add(_ factors: Int...) {
            let product = factors.reduce(1) { partial, factor -> Int in
                let (value, over) = partial.multipliedReportingOverflow(by: factor)
                overflow = overflow || over
                return value
            }
            let (sum, over) = total.addingReportingOverflow(product)
            overflow = overflow || over
            total = sum
        }
        let embedding = 4 * modelChannels
        func conv(_ input: Int, _ output: Int, kernel: Int) { add(output, input, kernel, kernel); add(output) }
        func block(_ input: Int, _ output: Int) {
            add(2, input); conv(input, output, kernel: 3)
            add(2 * output, embedding); add(2 * output)
            add(2, output); conv(output, output, kernel: 3)
            if input != output { conv(input, output, kernel: 1) }
        }
        func attention(_ channels: Int) { add(2, channels); conv(channels, 3 * channels, kernel: 1); conv(channels, channels, kernel: 1) }
        add(embedding, modelChannels); add(embedding); add(embedding, embedding); add(embedding)
        guard let firstMultiplier = channelMultipliers.first else { return nil }
        var channels = firstMultiplier * modelChannels
        conv(imageChannels, channels, kernel: 3)
        var skips = [channels], resolution = imageSize
        for (level, multiplier) in channelMultipliers.enumerated() {
            for _ in 0..<residualBlocks {
                block(channels, multiplier * modelChannels)
                channels = multiplier * modelChannels
                if attentionResolutions.contains(resolution) { attention(channels) }
                skips.append(channels)
            }
            if level != channelMultipliers.count - 1 { block(channels, channels); skips.append(channels); resolution /= 2 }
        }
        block(channels, channels); attention(channels); block(channels, channels)
        for (level, multiplier) in channelMultipliers.enumerated().reversed() {
            for i in 0...residualBlocks {
                block(channels + (skips.popLast() ?? 0), multiplier * modelChannels)
                channels = multiplier * modelChannels
                if attentionResolutions.contains(resolution) { attention(channels) }
                if level > 0 && i == residualBlocks { block(channels, channels); resolution *= 2 }
            }
        }
        add(2, channels)
        conv(firstMultiplier * modelChannels, imageChannels * (learnSigma ? 2 : 1), kernel: 3)
        return overflow ? nil : total
    }
}
