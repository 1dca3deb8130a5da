import DPLTensor

/// The convolutional classifier family of DPL; `cnn-small` is its default configuration:
///
///     conv3×3(1→32, pad 1)–ReLU–conv3×3(32→64, pad 1)–ReLU–maxpool2–
///     conv3×3(64→128, pad 1)–ReLU–maxpool2–flatten–linear(6272→256)–ReLU–linear(256→10)
///
/// Parameter names: `conv1…convK` for the convolutions and `fc1`, `fc2` for the linear layers,
/// matching benchmarks/torch_reference_models.py so PyTorch-trained weights load unchanged.
public final class CNNClassifier: Module, ImageClassifier {
    /// The shape of a `CNNClassifier`; stored in weight files as its architecture.
    public struct Configuration: Codable, Equatable, Sendable {
        /// Channels of the input images.
        public var inputChannels = 1
        /// Height and width of the (square) input images.
        public var imageSize = 28
        /// Output channels of each 3×3 convolution, in order.
        public var widths = [32, 64, 128]
        /// Whether a 2×2 max-pool follows each convolution (same length as `widths`).
        public var poolAfter = [false, true, true]
        /// Width of the hidden linear layer.
        public var hidden = 256
        /// Number of classes.
        public var classes = 10

        /// `cnn-small` for 28×28 single-channel images.
        public static let small = Configuration()

        /// A configuration; the defaults are `cnn-small`.
        public init(inputChannels: Int = 1, imageSize: Int = 28, widths: [Int] = [32, 64, 128],
                    poolAfter: [Bool] = [false, true, true], hidden: Int = 256, classes: Int = 10) {
            self.inputChannels = inputChannels
            self.imageSize = imageSize
            self.widths = widths
            self.poolAfter = poolAfter
            self.hidden = hidden
            self.classes = classes
        }
    }

    /// The configuration this model was built with.
    public let configuration: Configuration
    /// The convolutions, in order.
    public let convolutions: [Conv2d]
    /// The hidden linear layer.
    public let fc1: Linear
    /// The output layer.
    public let fc2: Linear

    /// A freshly initialized model (PyTorch's default initialization, keyed by `key`).
    /// - Throws: `TensorError` when the configuration is inconsistent (pooling shrinks the
    ///   image below 1 pixel, or `poolAfter` and `widths` differ in length).
    public init(_ configuration: Configuration = .small, key: RandomKey) throws {
        let c = configuration
        guard c.widths.count == c.poolAfter.count, !c.widths.isEmpty else {
            throw TensorError("cnn", "the classifier needs one pooling flag per convolution; got \(c.widths.count) widths and \(c.poolAfter.count) flags")
        }
        var size = c.imageSize
        for pool in c.poolAfter where pool { size /= 2 }
        guard size >= 1, c.classes >= 2, c.hidden >= 1, c.inputChannels >= 1 else {
            throw TensorError("cnn", "configuration \(c) leaves no valid feature map; use larger images or fewer pooling steps")
        }
        self.configuration = c
        var convolutions: [Conv2d] = []
        var channels = c.inputChannels
        for (index, width) in c.widths.enumerated() {
            convolutions.append(try Conv2d(inChannels: channels, outChannels: width, kernel: 3, padding: 1,
                                           key: key.forPurpose(RandomPurpose("init.conv\(index + 1)"))))
            channels = width
        }
        self.convolutions = convolutions
        fc1 = try Linear(inFeatures: channels * size * size, outFeatures: c.hidden, key: key.forPurpose("init.fc1"))
        fc2 = try Linear(inFeatures: c.hidden, outFeatures: c.classes, key: key.forPurpose("init.fc2"))
    }

    public var children: [(name: String, module: any Module)] {
        convolutions.enumerated().map { ("conv\($0.offset + 1)", $0.element as any Module) }
            + [("fc1", fc1), ("fc2", fc2)]
    }

    public var classCount: Int { configuration.classes }

    /// Logits `[N, classes]` for images `[N, C, H, W]`.
    public func logits(_ images: Tensor) throws -> Tensor {
        let c = configuration
        try requireClassifierInput(images, channels: c.inputChannels, size: c.imageSize)
        var h = images
        for (conv, pool) in zip(convolutions, c.poolAfter) {
            h = try conv(h).relu()
            if pool { h = try h.maxPool2d(kernel: 2) }
        }
        h = try fc1(h.flattened(startAxis: 1)).relu()
        return try fc2(h)
    }
}
