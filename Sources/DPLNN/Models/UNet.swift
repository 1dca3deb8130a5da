import DPLTensor

/// The DDPM-style U-Net noise model of DPL; `unet-tiny` is its default configuration:
/// base width 32, widths (32, 64, 64) at resolutions 28/14/7, one residual block per level
/// on the way down and on the way up with skip concatenations, a middle residual block,
/// GroupNorm(8)+SiLU, a sinusoidal time embedding (64) → linear(128) → SiLU → linear(128)
/// added into every residual block through its own linear layer, a strided 3×3 convolution
/// to go down a level and nearest upsampling + 3×3 convolution to go up, no attention.
///
///     stem → [down.i.block → (skip_i) → down.i.downsample]… → mid
///          → [up.i.block(cat(h, skip_i)) → up.i.upsample]… → SiLU(out_norm) → out_conv
///
/// Parameter names (`stem`, `time_embed.linear1`, `down.0.block.conv1`, `mid`, `up.2.block`,
/// `up.2.upsample`, `out_norm`, `out_conv`, …) match benchmarks/torch_reference_models.py.
public final class UNet: Module, NoisePredictor {
    /// The shape of a `UNet`; stored in weight files as its architecture.
    public struct Configuration: Codable, Equatable, Sendable {
        /// Channels of the images.
        public var imageChannels = 1
        /// Height and width of the (square) images; must be divisible by 2^(levels−1).
        public var imageSize = 28
        /// The width of the first level.
        public var baseWidth = 32
        /// Each level's width as a multiple of `baseWidth`.
        public var channelMultipliers = [1, 2, 2]
        /// Width of the sinusoidal time embedding.
        public var timeEmbeddingWidth = 64
        /// Width of the time MLP's output, fed to every residual block.
        public var timeWidth = 128
        /// Groups of every GroupNorm.
        public var groups = 8

        /// `unet-tiny` for 28×28 single-channel images.
        public static let tiny = Configuration()

        /// A configuration; the defaults are `unet-tiny`.
        public init(imageChannels: Int = 1, imageSize: Int = 28, baseWidth: Int = 32,
                    channelMultipliers: [Int] = [1, 2, 2], timeEmbeddingWidth: Int = 64,
                    timeWidth: Int = 128, groups: Int = 8) {
            self.imageChannels = imageChannels
            self.imageSize = imageSize
            self.baseWidth = baseWidth
            self.channelMultipliers = channelMultipliers
            self.timeEmbeddingWidth = timeEmbeddingWidth
            self.timeWidth = timeWidth
            self.groups = groups
        }

        /// The width of each level.
        public var widths: [Int] { channelMultipliers.map { $0 * baseWidth } }
    }

    /// One level on the way down: a block and, except at the last level, a downsampling conv.
    final class DownLevel: Module {
        let block: ResidualBlock
        let downsample: Conv2d?
        init(block: ResidualBlock, downsample: Conv2d?) { self.block = block; self.downsample = downsample }
        var children: [(name: String, module: any Module)] {
            [("block", block)] + (downsample.map { [("downsample", $0 as any Module)] } ?? [])
        }
    }

    /// One level on the way up: a block on cat(h, skip) and, except at level 0, an upsampling conv.
    final class UpLevel: Module {
        let block: ResidualBlock
        let upsample: Conv2d?
        init(block: ResidualBlock, upsample: Conv2d?) { self.block = block; self.upsample = upsample }
        var children: [(name: String, module: any Module)] {
            [("block", block)] + (upsample.map { [("upsample", $0 as any Module)] } ?? [])
        }
    }

    /// The two linear layers of the time MLP.
    final class TimeEmbedding: Module {
        let linear1: Linear
        let linear2: Linear
        init(linear1: Linear, linear2: Linear) { self.linear1 = linear1; self.linear2 = linear2 }
        var children: [(name: String, module: any Module)] { [("linear1", linear1), ("linear2", linear2)] }
    }

    /// The configuration this model was built with.
    public let configuration: Configuration
    let stem: Conv2d
    let timeEmbedding: TimeEmbedding
    let down: [DownLevel]
    let mid: ResidualBlock
    let up: [UpLevel]   // indexed by level: up[i] runs at level i
    let outNorm: GroupNorm
    let outConv: Conv2d

    /// A freshly initialized model (PyTorch's default initialization, keyed by `key`).
    /// - Throws: `TensorError` when the image size does not halve cleanly across the levels or
    ///   a width is not divisible by the group count.
    public init(_ configuration: Configuration = .tiny, key: RandomKey) throws {
        let c = configuration
        let widths = c.widths
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 && $0 % c.groups == 0 }), c.baseWidth % c.groups == 0 else {
            throw TensorError("unet", "every level width \(widths) must be a positive multiple of the group count \(c.groups)")
        }
        guard c.imageSize % (1 << (widths.count - 1)) == 0 else {
            throw TensorError("unet", "image size \(c.imageSize) must be divisible by \(1 << (widths.count - 1)) to go down \(widths.count - 1) levels")
        }
        func k(_ name: String) -> RandomKey { key.forPurpose(RandomPurpose("init." + name)) }
        self.configuration = c
        stem = try Conv2d(inChannels: c.imageChannels, outChannels: c.baseWidth, kernel: 3, padding: 1, key: k("stem"))
        timeEmbedding = TimeEmbedding(
            linear1: try Linear(inFeatures: c.timeEmbeddingWidth, outFeatures: c.timeWidth, key: k("time_embed.linear1")),
            linear2: try Linear(inFeatures: c.timeWidth, outFeatures: c.timeWidth, key: k("time_embed.linear2")))
        var down: [DownLevel] = []
        var channels = c.baseWidth
        for (level, width) in widths.enumerated() {
            let block = try ResidualBlock(inChannels: channels, outChannels: width, timeWidth: c.timeWidth,
                                          groups: c.groups, key: k("down.\(level).block"))
            channels = width
            let downsample = level < widths.count - 1
                ? try Conv2d(inChannels: width, outChannels: width, kernel: 3, stride: 2, padding: 1, key: k("down.\(level).downsample"))
                : nil
            down.append(DownLevel(block: block, downsample: downsample))
        }
        self.down = down
        mid = try ResidualBlock(inChannels: channels, outChannels: channels, timeWidth: c.timeWidth, groups: c.groups, key: k("mid"))
        var up: [UpLevel?] = Array(repeating: nil, count: widths.count)
        for level in stride(from: widths.count - 1, through: 0, by: -1) {
            let width = widths[level]
            let block = try ResidualBlock(inChannels: channels + width, outChannels: width, timeWidth: c.timeWidth,
                                          groups: c.groups, key: k("up.\(level).block"))
            channels = width
            let upsample = level > 0
                ? try Conv2d(inChannels: width, outChannels: width, kernel: 3, padding: 1, key: k("up.\(level).upsample"))
                : nil
            up[level] = UpLevel(block: block, upsample: upsample)
        }
        self.up = up.compactMap { $0 }
        outNorm = try GroupNorm(groups: c.groups, channels: channels)
        outConv = try Conv2d(inChannels: channels, outChannels: c.imageChannels, kernel: 3, padding: 1, key: k("out_conv"))
    }

    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = [("stem", stem), ("time_embed", timeEmbedding)]
        list += down.enumerated().map { ("down.\($0.offset)", $0.element as any Module) }
        list.append(("mid", mid))
        list += up.enumerated().reversed().map { ("up.\($0.offset)", $0.element as any Module) }
        list += [("out_norm", outNorm), ("out_conv", outConv)]
        return list
    }

    /// Σ over levels of width × resolution² floats, times 24 saved tensors of that size (the
    /// residual blocks' norms, activations and convolutions on the way down and up), 4 bytes
    /// each. Calibrated on unet-tiny, whose grad=full purification measured ≈ 3.3 MB per image
    /// and reverse step (docs/purification.md); the estimate gives 3.9 MB.
    public var recordedBytesPerImage: Int? {
        var floats = 0
        for (level, width) in configuration.widths.enumerated() {
            let resolution = configuration.imageSize >> level
            floats += width * resolution * resolution
        }
        return 24 * 4 * floats
    }

    /// The configuration's image size: the model checks its input against it.
    public var inputSize: Int? { configuration.imageSize }

    /// Predicted noise `[N, C, H, W]` for noised images and per-sample timesteps.
    public func predictNoise(_ x: Tensor, timesteps: [Float]) throws -> Tensor {
        let c = configuration
        guard x.rank == 4, x.shape[1] == c.imageChannels, x.shape[2] == c.imageSize, x.shape[3] == c.imageSize else {
            throw TensorError("unet", "the noise model expects images of shape [N, \(c.imageChannels), \(c.imageSize), \(c.imageSize)] but got \(shapeString(x.shape))")
        }
        guard timesteps.count == x.shape[0] else {
            throw TensorError("unet", "got \(timesteps.count) timesteps for a batch of \(x.shape[0]) images; give one per image")
        }
        let embedding = try sinusoidalEmbedding(timesteps: timesteps, dim: c.timeEmbeddingWidth)
        let temb = try timeEmbedding.linear2(timeEmbedding.linear1(embedding).silu())
        let activatedTime = temb.silu()   // every block applies SiLU first; do it once

        var h = try stem(x)
        var skips: [Tensor] = []
        for level in down {
            h = try level.block(h, activatedTime: activatedTime)
            skips.append(h)
            if let downsample = level.downsample { h = try downsample(h) }
        }
        h = try mid(h, activatedTime: activatedTime)
        for levelIndex in stride(from: up.count - 1, through: 0, by: -1) {
            let level = up[levelIndex]
            h = try level.block(Tensor.concat([h, skips[levelIndex]], axis: 1), activatedTime: activatedTime)
            if let upsample = level.upsample { h = try upsample(h.upsampleNearest(scale: 2)) }
        }
        return try outConv(outNorm.thenSiLU(h))
    }
}
