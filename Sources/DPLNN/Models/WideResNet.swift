import DPLTensor

/// The WideResNet classifier family (Zagoruyko & Komodakis, 2016) for CIFAR-sized images,
/// as used throughout the robustness literature; `wrn-28-10` (36.5M parameters) is the
/// standard model of RobustBench's CIFAR-10 leaderboards.
///
///     conv3×3(3→16)–group1(16k, stride 1)–group2(32k, stride 2)–group3(64k, stride 2)–
///     BN–ReLU–global average pool–linear(64k→classes)
///
/// Depth `6n + 4` gives `n` pre-activation basic blocks per group (BN→ReLU→conv3×3→
/// BN→ReLU→conv3×3, added to the shortcut). Convolutions have no bias. Where a block changes
/// the width, its shortcut is a 1×1 convolution (with the block's stride) of the
/// pre-activated input; elsewhere it is the input itself.
///
/// Parameter names follow RobustBench's `WideResNet` (`conv1`, `block1.layer.0.bn1`,
/// `block1.layer.0.convShortcut`, …, `bn1`, `fc`) and benchmarks/torch_reference_models.py,
/// so checkpoints from that code load unchanged.
public final class WideResNet: Module, ImageClassifier {
    /// The shape of a `WideResNet`; stored in weight files as its architecture.
    public struct Configuration: Codable, Equatable, Sendable {
        /// Total depth `6n + 4` (`n` blocks per group): 10, 16, 22, 28, 34, 40, 70, …
        public var depth = 28
        /// The widening factor `k`: the groups have 16k, 32k and 64k channels.
        public var widenFactor = 10
        /// Channels of the input images.
        public var inputChannels = 3
        /// Height and width of the (square) input images.
        public var imageSize = 32
        /// Number of classes.
        public var classes = 10

        /// `wrn-28-10` for 32×32 RGB images and 10 classes (CIFAR-10).
        public static let wrn28x10 = Configuration()
        /// `wrn-16-4`, a small member of the family for quick experiments.
        public static let wrn16x4 = Configuration(depth: 16, widenFactor: 4)

        /// A configuration; the defaults are `wrn-28-10` on CIFAR-10.
        public init(depth: Int = 28, widenFactor: Int = 10, inputChannels: Int = 3, imageSize: Int = 32, classes: Int = 10) {
            self.depth = depth
            self.widenFactor = widenFactor
            self.inputChannels = inputChannels
            self.imageSize = imageSize
            self.classes = classes
        }

        /// Blocks per group, `(depth − 4) / 6`.
        public var blocksPerGroup: Int { (depth - 4) / 6 }
        /// The widths of the three groups.
        public var groupWidths: [Int] { [16, 32, 64].map { $0 * widenFactor } }
        /// The family name of this configuration, e.g. `wrn-28-10`.
        public var name: String { "wrn-\(depth)-\(widenFactor)" }
    }

    // MARK: - Blocks

    /// A pre-activation basic block; `convShortcut` exists when the width changes.
    final class Block: Module {
        let bn1: BatchNorm2d
        let conv1: Conv2d
        let bn2: BatchNorm2d
        let conv2: Conv2d
        let convShortcut: Conv2d?

        init(inChannels: Int, outChannels: Int, stride: Int, key: RandomKey) throws {
            bn1 = try BatchNorm2d(channels: inChannels)
            conv1 = try Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 3, stride: stride, padding: 1,
                               bias: false, key: key.forPurpose("conv1"))
            bn2 = try BatchNorm2d(channels: outChannels)
            conv2 = try Conv2d(inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1,
                               bias: false, key: key.forPurpose("conv2"))
            // A stride without a width change would need a strided identity; the family never has one.
            convShortcut = inChannels == outChannels ? nil
                : try Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 1, stride: stride,
                             bias: false, key: key.forPurpose("shortcut"))
        }

        var children: [(name: String, module: any Module)] {
            [("bn1", bn1), ("conv1", conv1), ("bn2", bn2), ("conv2", conv2)]
                + (convShortcut.map { [("convShortcut", $0 as any Module)] } ?? [])
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            let activated = try bn1(x).relu()
            let h = try conv2(try bn2(try conv1(activated)).relu())
            // The projection sees the pre-activated input; the identity sees the raw input.
            let shortcut = try convShortcut.map { try $0(activated) } ?? x
            return try shortcut + h
        }
    }

    // MARK: - Model

    /// The configuration this model was built with.
    public let configuration: Configuration
    /// The first 3×3 convolution (3 → 16 channels).
    let conv1: Conv2d
    /// The blocks of the three groups.
    let groups: [[Block]]
    /// The final normalization.
    let bn1: BatchNorm2d
    /// The output layer.
    let fc: Linear

    /// A freshly initialized model (PyTorch's default initialization, keyed by `key`), in
    /// evaluation mode (see `BatchNorm2d`).
    /// - Throws: `TensorError` when the depth is not `6n + 4` with `n ≥ 1`, the widening factor
    ///   is below 1, or the image is smaller than 4×4 (two stride-2 groups).
    public init(_ configuration: Configuration = .wrn28x10, key: RandomKey) throws {
        let c = configuration
        guard c.depth >= 10, (c.depth - 4) % 6 == 0 else {
            throw TensorError("wrn", "a WideResNet's depth must be 6n+4 with n ≥ 1 (10, 16, 22, 28, 34, 40, …); got \(c.depth)")
        }
        guard c.widenFactor >= 1, c.inputChannels >= 1, c.classes >= 2, c.imageSize >= 4 else {
            throw TensorError("wrn", "configuration \(c) is not a valid WideResNet; it needs a widening factor ≥ 1, at least 2 classes and images of at least 4×4")
        }
        self.configuration = c
        conv1 = try Conv2d(inChannels: c.inputChannels, outChannels: 16, kernel: 3, padding: 1, bias: false,
                           key: key.forPurpose("init.conv1"))
        var groups: [[Block]] = []
        var channels = 16
        for (g, width) in c.groupWidths.enumerated() {
            var blocks: [Block] = []
            for b in 0..<c.blocksPerGroup {
                let stride = b == 0 && g > 0 ? 2 : 1
                blocks.append(try Block(inChannels: channels, outChannels: width, stride: stride,
                                        key: key.forPurpose(RandomPurpose("init.block\(g + 1).layer.\(b)"))))
                channels = width
            }
            groups.append(blocks)
        }
        self.groups = groups
        bn1 = try BatchNorm2d(channels: channels)
        fc = try Linear(inFeatures: channels, outFeatures: c.classes, key: key.forPurpose("init.fc"))
    }

    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = [("conv1", conv1)]
        for (g, blocks) in groups.enumerated() {
            list += blocks.enumerated().map { ("block\(g + 1).layer.\($0.offset)", $0.element as any Module) }
        }
        return list + [("bn1", bn1), ("fc", fc)]
    }

    public var classCount: Int { configuration.classes }

    /// Logits `[N, classes]` for images `[N, C, H, W]`.
    public func logits(_ images: Tensor) throws -> Tensor {
        let c = configuration
        try requireClassifierInput(images, channels: c.inputChannels, size: c.imageSize)
        var h = try conv1(images)
        for blocks in groups {
            for block in blocks { h = try block(h) }
        }
        h = try bn1(h).relu()
        return try fc(try h.mean(axes: [2, 3]))
    }
}
