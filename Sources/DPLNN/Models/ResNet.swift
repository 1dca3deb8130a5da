import DPLTensor

/// torchvision's ResNet with bottleneck blocks (He et al., 2016; torchvision's "v1.5", stride
/// on the 3×3 convolution), the ImageNet classifier of the robustness literature: `resnet50`
/// is `layers` (3, 4, 6, 3) at base width 64, 25,557,032 parameters, as
/// `torchvision.models.resnet50()`.
///
///     conv7×7(3→w, stride 2, pad 3)–BN–ReLU–maxpool3×3(stride 2, pad 1)
///     layer1: layers[0] bottlenecks, planes w,  stride 1
///     layer2: layers[1] bottlenecks, planes 2w, first stride 2
///     layer3: layers[2] bottlenecks, planes 4w, first stride 2
///     layer4: layers[3] bottlenecks, planes 8w, first stride 2
///     global average pool–linear(32w→classes)
///
///     bottleneck(x) = ReLU(bn3(conv3(ReLU(bn2(conv2(ReLU(bn1(conv1(x)))))))) + shortcut(x))
///     conv1 1×1 (→planes), conv2 3×3 (planes→planes, the block's stride), conv3 1×1 (→4·planes)
///     shortcut = downsample.1(downsample.0(x)) (1×1 conv with the stride, then BN) where the
///                stride or the width changes, else x
///
/// Convolutions have no bias. Parameter names are torchvision's (`conv1`, `bn1`,
/// `layer1.0.conv1`, `layer1.0.downsample.0`, …, `fc`) and registered in torchvision's order, so
/// its checkpoints (and EMA lists in parameter order) load unchanged.
///
/// **Input.** Like every DPL classifier it takes images in [0, 1]; torchvision's models expect
/// them normalized by the ImageNet mean and standard deviation, so the model applies
/// `(x − mean) / std` itself (`Configuration.mean`, `.std`, saved with the model). Attacks
/// therefore work in pixel space, where their budgets are defined.
public final class ResNet: Module, ImageClassifier {
    /// The shape of a `ResNet`; stored in weight files as its architecture.
    public struct Configuration: Codable, Equatable, Sendable {
        /// Bottleneck blocks in each of the four stages.
        public var layers = [3, 4, 6, 3]
        /// Channels of the stem and planes of the first stage (64 in torchvision).
        public var baseWidth = 64
        /// Channels of the input images.
        public var inputChannels = 3
        /// Number of classes.
        public var classes = 1000
        /// Per-channel mean and standard deviation the model subtracts and divides by before its
        /// first layer (ImageNet's, as torchvision's weights expect).
        public var mean: [Float] = [0.485, 0.456, 0.406]
        public var std: [Float] = [0.229, 0.224, 0.225]

        /// torchvision's `resnet50`: ImageNet, 1000 classes.
        public static let resnet50 = Configuration()

        /// A configuration; the defaults are `resnet50`.
        public init(layers: [Int] = [3, 4, 6, 3], baseWidth: Int = 64, inputChannels: Int = 3, classes: Int = 1000,
                    mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]) {
            self.layers = layers
            self.baseWidth = baseWidth
            self.inputChannels = inputChannels
            self.classes = classes
            self.mean = mean
            self.std = std
        }

        /// Output channels of a bottleneck with `planes` planes.
        public static let expansion = 4
        /// The planes of the four stages.
        public var stagePlanes: [Int] { [1, 2, 4, 8].map { $0 * baseWidth } }
    }

    // MARK: - Blocks

    /// torchvision's `Bottleneck` (expansion 4, stride on the 3×3 convolution).
    final class Bottleneck: Module {
        let conv1: Conv2d, bn1: BatchNorm2d
        let conv2: Conv2d, bn2: BatchNorm2d
        let conv3: Conv2d, bn3: BatchNorm2d
        let downsample: (conv: Conv2d, bn: BatchNorm2d)?

        init(inChannels: Int, planes: Int, stride: Int, key: RandomKey) throws {
            let out = planes * Configuration.expansion
            conv1 = try Conv2d(inChannels: inChannels, outChannels: planes, kernel: 1, bias: false, key: key.forPurpose("conv1"))
            bn1 = try BatchNorm2d(channels: planes)
            conv2 = try Conv2d(inChannels: planes, outChannels: planes, kernel: 3, stride: stride, padding: 1, bias: false,
                               key: key.forPurpose("conv2"))
            bn2 = try BatchNorm2d(channels: planes)
            conv3 = try Conv2d(inChannels: planes, outChannels: out, kernel: 1, bias: false, key: key.forPurpose("conv3"))
            bn3 = try BatchNorm2d(channels: out)
            downsample = stride == 1 && inChannels == out ? nil
                : (try Conv2d(inChannels: inChannels, outChannels: out, kernel: 1, stride: stride, bias: false,
                              key: key.forPurpose("downsample")), try BatchNorm2d(channels: out))
        }

        var children: [(name: String, module: any Module)] {
            var list: [(name: String, module: any Module)] = [
                ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3),
            ]
            if let downsample { list += [("downsample.0", downsample.conv), ("downsample.1", downsample.bn)] }
            return list
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            var h = try bn1(try conv1(x)).relu()
            h = try bn2(try conv2(h)).relu()
            h = try bn3(try conv3(h))
            let shortcut = try downsample.map { try $0.bn(try $0.conv(x)) } ?? x
            return try (h + shortcut).relu()
        }
    }

    // MARK: - Model

    /// The configuration this model was built with.
    public let configuration: Configuration
    let conv1: Conv2d
    let bn1: BatchNorm2d
    /// The bottlenecks of the four stages.
    let stages: [[Bottleneck]]
    let fc: Linear
    /// `mean` and `std` as [1, C, 1, 1] tensors.
    private let meanTensor: Tensor
    private let stdTensor: Tensor

    /// A freshly initialized model (PyTorch's default initialization, keyed by `key`), in
    /// evaluation mode (see `BatchNorm2d`).
    /// - Throws: `TensorError` when a stage has no block, a width or the class count is too
    ///   small, or `mean`/`std` do not have one positive entry per input channel.
    public init(_ configuration: Configuration = .resnet50, key: RandomKey) throws {
        let c = configuration
        guard c.layers.count == 4, c.layers.allSatisfy({ $0 >= 1 }), c.baseWidth >= 1, c.inputChannels >= 1, c.classes >= 2 else {
            throw TensorError("resnet", "configuration \(c) is not a valid ResNet; it needs four stages of at least one block, a base width ≥ 1 and at least 2 classes")
        }
        guard c.mean.count == c.inputChannels, c.std.count == c.inputChannels, c.std.allSatisfy({ $0 > 0 && $0.isFinite }),
              c.mean.allSatisfy(\.isFinite) else {
            throw TensorError("resnet", "the input normalization needs one finite mean and one positive std per input channel (\(c.inputChannels)); got mean \(c.mean) and std \(c.std)")
        }
        self.configuration = c
        conv1 = try Conv2d(inChannels: c.inputChannels, outChannels: c.baseWidth, kernel: 7, stride: 2, padding: 3, bias: false,
                           key: key.forPurpose("init.conv1"))
        bn1 = try BatchNorm2d(channels: c.baseWidth)
        var stages: [[Bottleneck]] = []
        var channels = c.baseWidth
        for (s, (planes, blocks)) in zip(c.stagePlanes, c.layers).enumerated() {
            var stage: [Bottleneck] = []
            for b in 0..<blocks {
                stage.append(try Bottleneck(inChannels: channels, planes: planes, stride: b == 0 && s > 0 ? 2 : 1,
                                            key: key.forPurpose(RandomPurpose("init.layer\(s + 1).\(b)"))))
                channels = planes * Configuration.expansion
            }
            stages.append(stage)
        }
        self.stages = stages
        fc = try Linear(inFeatures: channels, outFeatures: c.classes, key: key.forPurpose("init.fc"))
        meanTensor = try Tensor(shape: [1, c.inputChannels, 1, 1], scalars: c.mean)
        stdTensor = try Tensor(shape: [1, c.inputChannels, 1, 1], scalars: c.std)
    }

    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = [("conv1", conv1), ("bn1", bn1)]
        for (s, stage) in stages.enumerated() {
            list += stage.enumerated().map { ("layer\(s + 1).\($0.offset)", $0.element as any Module) }
        }
        return list + [("fc", fc)]
    }

    public var classCount: Int { configuration.classes }

    /// Logits `[N, classes]` for images `[N, C, H, W]` in [0, 1] of any size from 1×1.
    public func logits(_ images: Tensor) throws -> Tensor {
        guard images.rank == 4, images.shape[1] == configuration.inputChannels else {
            throw TensorError("classify", "the classifier expects images of shape [N, \(configuration.inputChannels), H, W] but got \(shapeString(images.shape))")
        }
        let normalized = try (images - meanTensor) / stdTensor
        var h = try bn1(try conv1(normalized)).relu()
        h = try h.maxPool2d(kernel: 3, stride: 2, padding: 1)
        for stage in stages {
            for block in stage { h = try block(h) }
        }
        // torchvision's AdaptiveAvgPool2d((1, 1)) is the mean over the whole map.
        return try fc(try h.mean(axes: [2, 3]))
    }
}
