import Foundation
import DPLTensor

/// score_sde's NCSN++ score network (Song et al. 2021; score_sde/models/ncsnpp.py, `NCSNpp`) in
/// the form DiffPure uses for CIFAR-10 (NVlabs/DiffPure configs/cifar10.yml, the checkpoint
/// `vp/cifar10_ddpmpp_deep_continuous`): BigGAN residual blocks (`resblock_type: biggan`) with
/// nearest/average-pool resampling (`fir: False`), skip rescaling by 1/√2, positional
/// (sinusoidal) time embedding, time conditioning, no progressive growing
/// (`progressive: none`, `progressive_input: none`), centered [−1, 1] input, no division by
/// σ (`scale_by_sigma: False`). Dropout (0.1 in training) is off: DPL evaluates the model.
///
///     temb = Linear_1(SiLU(Linear_0(sinusoid(label, nf))))
///     hs = [conv3×3(x)]
///     per level (widths nf·ch_mult): num_res_blocks × [block → attention at attn_resolutions],
///       each output pushed to hs; then (not at the last level) a down-sampling block, pushed
///     block, attention, block
///     per level from the last: (num_res_blocks + 1) × block(cat(h, hs.pop())),
///       attention at attn_resolutions, then (not at level 0) an up-sampling block
///     conv3×3(SiLU(GroupNorm(h)))
///
/// Every module sits in upstream's flat `all_modules` list in upstream's order, so parameter
/// names (`all_modules.0.weight`, `all_modules.3.GroupNorm_0.weight`, `all_modules.7.NIN_0.W`,
/// …) and the `parameters()` order equal PyTorch's, and the buffer `sigmas` (the SMLD noise
/// levels, unused by the VP model) is kept so a published state_dict loads unchanged.
///
/// As a `NoisePredictor` the output is ε̂: DiffPure's score for the VP-SDE is
/// −output / σ(τ) (score_sde/models/utils.py, `get_score_fn`, continuous VP branch), and the
/// label is τ · 999 — exactly the timestep on the 0…T−1 scale that DPL's `sde` sampler passes.
public final class NCSNpp: Module, NoisePredictor {
    /// The shape of an `NCSNpp`; stored in weight files as its architecture.
    public struct Configuration: Codable, Equatable, Sendable {
        /// Channels of the images (`data.num_channels`).
        public var imageChannels = 3
        /// Height and width of the square images (`data.image_size`); divisible by 2^(levels−1).
        public var imageSize = 32
        /// Base width (`model.nf`); also the width of the time embedding, whose MLP is 4·nf wide.
        public var nf = 128
        /// Each level's width as a multiple of `nf` (`model.ch_mult`).
        public var channelMultipliers = [1, 2, 2, 2]
        /// Residual blocks per level on the way down (`model.num_res_blocks`; one more on the way up).
        public var residualBlocks = 8
        /// Resolutions with self-attention (`model.attn_resolutions`).
        public var attentionResolutions = [16]
        /// Whether residual sums are divided by √2 (`model.skip_rescale`).
        public var skipRescale = true
        /// Whether inputs are already in [−1, 1] (`data.centered`); if not, 2x − 1 is applied.
        public var centered = true
        /// Length of the `sigmas` buffer (`model.num_scales`).
        public var scales = 1000
        /// Smallest and largest SMLD noise level of the `sigmas` buffer (`model.sigma_min`, `sigma_max`).
        public var sigmaMin = 0.01
        /// See `sigmaMin`.
        public var sigmaMax = 50.0

        /// DiffPure's CIFAR-10 model (configs/cifar10.yml): 106,632,579 parameters.
        public static let cifar10 = Configuration()

        /// A configuration; the defaults are DiffPure's CIFAR-10 model.
        public init(imageChannels: Int = 3, imageSize: Int = 32, nf: Int = 128, channelMultipliers: [Int] = [1, 2, 2, 2],
                    residualBlocks: Int = 8, attentionResolutions: [Int] = [16], skipRescale: Bool = true,
                    centered: Bool = true, scales: Int = 1000, sigmaMin: Double = 0.01, sigmaMax: Double = 50) {
            self.imageChannels = imageChannels
            self.imageSize = imageSize
            self.nf = nf
            self.channelMultipliers = channelMultipliers
            self.residualBlocks = residualBlocks
            self.attentionResolutions = attentionResolutions
            self.skipRescale = skipRescale
            self.centered = centered
            self.scales = scales
            self.sigmaMin = sigmaMin
            self.sigmaMax = sigmaMax
        }

        /// The width of each level.
        public var widths: [Int] { channelMultipliers.map { $0 * nf } }
        /// The resolution of each level.
        public var resolutions: [Int] { channelMultipliers.indices.map { imageSize >> $0 } }
    }

    /// One step of the forward pass, in upstream's module order.
    enum Step {
        case block(NCSNppResidualBlock, pushes: Bool)
        case attention(NCSNppAttentionBlock, pushes: Bool)
        case upBlock(NCSNppResidualBlock)   // pops a skip and concatenates it first
        case upAttention(NCSNppAttentionBlock)
        case upsample(NCSNppResidualBlock)
    }

    /// The configuration this model was built with.
    public let configuration: Configuration
    let timeLinear0: Linear
    let timeLinear1: Linear
    let stem: Conv2d
    let steps: [Step]
    let outNorm: GroupNorm
    let outConv: Conv2d
    /// Every module in upstream's `all_modules` order.
    let allModules: [any Module]
    /// The SMLD noise levels σ_max … σ_min (geometric), upstream's buffer `sigmas`.
    let sigmas: Buffer
    /// Floats one image's forward pass records for backward, counted while building.
    private let recordedFloats: Int

    /// A freshly initialized model (PyTorch's default initialization, keyed by `key`; upstream
    /// initializes differently, which matters only for training from scratch).
    /// - Throws: `TensorError` when the image size does not halve cleanly across the levels or
    ///   a width is not divisible by its GroupNorm's group count.
    public init(_ configuration: Configuration = .cifar10, key: RandomKey) throws {
        let c = configuration
        let widths = c.widths, resolutions = c.resolutions
        guard !widths.isEmpty, c.nf >= 4, widths.allSatisfy({ $0 > 0 }), c.residualBlocks >= 1 else {
            throw TensorError("ncsnpp", "nf \(c.nf), channel multipliers \(c.channelMultipliers) and \(c.residualBlocks) residual blocks do not describe a model; give nf ≥ 4, positive multipliers and at least one block")
        }
        guard c.imageSize % (1 << (widths.count - 1)) == 0 else {
            throw TensorError("ncsnpp", "image size \(c.imageSize) must be divisible by \(1 << (widths.count - 1)) to go down \(widths.count - 1) levels")
        }
        var modules: [any Module] = []
        var floats = 0
        func k(_ index: Int) -> RandomKey { key.forPurpose(RandomPurpose("init.all_modules.\(index)")) }
        func add<M: Module>(_ module: M) -> M { modules.append(module); return module }
        let timeWidth = 4 * c.nf
        timeLinear0 = add(try Linear(inFeatures: c.nf, outFeatures: timeWidth, key: k(0)))
        timeLinear1 = add(try Linear(inFeatures: timeWidth, outFeatures: timeWidth, key: k(1)))
        stem = add(try Conv2d(inChannels: c.imageChannels, outChannels: c.nf, kernel: 3, padding: 1, key: k(2)))
        func block(_ input: Int, _ output: Int, _ resampling: NCSNppResidualBlock.Resampling, resolution: Int) throws -> NCSNppResidualBlock {
            // Norms, activations and convolutions: about ten maps of either width are kept.
            let outResolution = resampling == .up ? 2 * resolution : resampling == .down ? resolution / 2 : resolution
            floats += 4 * input * resolution * resolution + 6 * output * outResolution * outResolution
            return add(try NCSNppResidualBlock(inChannels: input, outChannels: output, timeWidth: timeWidth,
                                               resampling: resampling, skipRescale: c.skipRescale, key: k(modules.count)))
        }
        func attention(_ channels: Int, resolution: Int) throws -> NCSNppAttentionBlock {
            let pixels = resolution * resolution
            floats += 8 * channels * pixels + 2 * pixels * pixels
            return add(try NCSNppAttentionBlock(channels: channels, skipRescale: c.skipRescale, key: k(modules.count)))
        }

        var steps: [Step] = []
        var skipWidths = [c.nf]
        var channels = c.nf
        for level in widths.indices {
            let resolution = resolutions[level]
            let attends = c.attentionResolutions.contains(resolution)
            for _ in 0..<c.residualBlocks {
                let b = try block(channels, widths[level], .none, resolution: resolution)
                channels = widths[level]
                if attends {
                    steps.append(.block(b, pushes: false))
                    steps.append(.attention(try attention(channels, resolution: resolution), pushes: true))
                } else {
                    steps.append(.block(b, pushes: true))
                }
                skipWidths.append(channels)
            }
            if level != widths.count - 1 {
                steps.append(.block(try block(channels, channels, .down, resolution: resolution), pushes: true))
                skipWidths.append(channels)
            }
        }
        let lowest = resolutions[widths.count - 1]
        steps.append(.block(try block(channels, channels, .none, resolution: lowest), pushes: false))
        steps.append(.attention(try attention(channels, resolution: lowest), pushes: false))
        steps.append(.block(try block(channels, channels, .none, resolution: lowest), pushes: false))
        for level in widths.indices.reversed() {
            let resolution = resolutions[level]
            for _ in 0...c.residualBlocks {
                let skip = skipWidths.removeLast()
                steps.append(.upBlock(try block(channels + skip, widths[level], .none, resolution: resolution)))
                channels = widths[level]
            }
            if c.attentionResolutions.contains(resolution) {
                steps.append(.upAttention(try attention(channels, resolution: resolution)))
            }
            if level != 0 {
                steps.append(.upsample(try block(channels, channels, .up, resolution: resolution)))
            }
        }
        self.steps = steps
        outNorm = add(try GroupNorm(groups: ncsnppGroups(channels), channels: channels, eps: 1e-6))
        outConv = add(try Conv2d(inChannels: channels, outChannels: c.imageChannels, kernel: 3, padding: 1, key: k(modules.count)))
        allModules = modules
        sigmas = Buffer(NCSNpp.sigmaLevels(c))
        recordedFloats = floats
        self.configuration = c
    }

    /// exp(linspace(log σ_max, log σ_min, scales)), score_sde's `get_sigmas`.
    static func sigmaLevels(_ c: Configuration) -> Tensor {
        let (high, low) = (log(c.sigmaMax), log(c.sigmaMin))
        let step = c.scales > 1 ? (low - high) / Double(c.scales - 1) : 0
        let values = (0..<c.scales).map { Float(exp(high + Double($0) * step)) }
        return (try? Tensor(shape: [c.scales], scalars: values)) ?? .zeros([c.scales])
    }

    public var children: [(name: String, module: any Module)] {
        allModules.enumerated().map { ("all_modules.\($0.offset)", $0.element) }
    }

    public var ownBuffers: [(name: String, buffer: Buffer)] { [("sigmas", sigmas)] }

    /// About four bytes per float each block and attention layer keeps (counted while building);
    /// an estimate for `Checkpointing.adaptive`, not a measurement.
    public var recordedBytesPerImage: Int? { 4 * recordedFloats }

    /// The configuration's image size: the model checks its input against it.
    public var inputSize: Int? { configuration.imageSize }

    /// ε̂ `[N, C, H, W]` for images `x` on the [−1, 1] scale (when `centered`) and time labels
    /// on the 0…999 scale (DiffPure's continuous VP model: τ · 999).
    public func predictNoise(_ x: Tensor, timesteps: [Float]) throws -> Tensor {
        let c = configuration
        guard x.rank == 4, x.shape[1] == c.imageChannels, x.shape[2] == c.imageSize, x.shape[3] == c.imageSize else {
            throw TensorError("ncsnpp", "the score model expects images of shape [N, \(c.imageChannels), \(c.imageSize), \(c.imageSize)] but got \(shapeString(x.shape))")
        }
        guard timesteps.count == x.shape[0] else {
            throw TensorError("ncsnpp", "got \(timesteps.count) time labels for a batch of \(x.shape[0]) images; give one per image")
        }
        // layers.py `get_timestep_embedding(timesteps, nf)` is DDPM's sinusoid; odd nf is padded there.
        let embedding = try sinusoidalEmbedding(timesteps: timesteps, dim: c.nf)
        let activatedTime = try timeLinear1(timeLinear0(embedding).silu()).silu()

        let input = c.centered ? x : x * 2 - 1
        var h = try stem(input)
        var skips = [h]
        for step in steps {
            switch step {
            case .block(let block, let pushes):
                h = try block(h, activatedTime: activatedTime)   // upstream's hs[-1], which is h here
                if pushes { skips.append(h) }
            case .attention(let attention, let pushes):
                h = try attention(h)
                if pushes { skips.append(h) }
            case .upBlock(let block):
                guard let skip = skips.popLast() else {
                    throw TensorError("ncsnpp", "the up path ran out of skip connections; the model is inconsistent")
                }
                h = try block(Tensor.concat([h, skip], axis: 1), activatedTime: activatedTime)
            case .upAttention(let attention):
                h = try attention(h)
            case .upsample(let block):
                h = try block(h, activatedTime: activatedTime)
            }
        }
        return try outConv(outNorm(h).silu())
    }
}

// MARK: - The layer plan, without building anything

extension NCSNpp.Configuration {
    /// One residual block of the plan.
    public struct PlannedBlock: Equatable, Sendable {
        /// Input and output width.
        public var input: Int, output: Int
        /// Whether it has the 1×1 `Conv_2` on its skip path (width change or resampling).
        public var resamples: Bool
    }

    /// Every residual block and every attention block's width, in upstream's order, and the
    /// width entering the output GroupNorm; the arithmetic of `NCSNpp.init` without allocating,
    /// for checking an untrusted configuration and counting its weights.
    /// Call only on a configuration whose sizes are bounded (`Architecture.validate`).
    public func plan() -> (blocks: [PlannedBlock], attention: [Int], outputWidth: Int) {
        var blocks: [PlannedBlock] = [], attention: [Int] = []
        let widths = self.widths, resolutions = self.resolutions
        var skips = [nf], channels = nf
        for level in widths.indices {
            for _ in 0..<residualBlocks {
                blocks.append(PlannedBlock(input: channels, output: widths[level], resamples: channels != widths[level]))
                channels = widths[level]
                if attentionResolutions.contains(resolutions[level]) { attention.append(channels) }
                skips.append(channels)
            }
            if level != widths.count - 1 {
                blocks.append(PlannedBlock(input: channels, output: channels, resamples: true))
                skips.append(channels)
            }
        }
        blocks.append(PlannedBlock(input: channels, output: channels, resamples: false))
        attention.append(channels)
        blocks.append(PlannedBlock(input: channels, output: channels, resamples: false))
        for level in widths.indices.reversed() {
            for _ in 0...residualBlocks {
                let input = channels + (skips.popLast() ?? 0)
                blocks.append(PlannedBlock(input: input, output: widths[level], resamples: input != widths[level]))
                channels = widths[level]
            }
            if attentionResolutions.contains(resolutions[level]) { attention.append(channels) }
            if level != 0 { blocks.append(PlannedBlock(input: channels, output: channels, resamples: true)) }
        }
        return (blocks, attention, channels)
    }
}
