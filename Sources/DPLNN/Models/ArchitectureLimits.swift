// MARK: - Architecture metadata, checked before anything is allocated

/// A weight file's `dpl.configuration` comes from whoever made the file. Before a model is
/// built from it, every size is checked against generous bounds (so no arithmetic on it can
/// overflow or divide by zero), and the number of weights it implies against the weights the
/// file holds (so a 240-byte file cannot ask for gigabytes).
extension Architecture {
    /// Bounds on every size a configuration may declare. They are far above any model DPL
    /// trains or loads (wrn-70-16 has 267M weights), and low enough that the products
    /// computing layer sizes stay well inside `Int`.
    public enum Limits {
        /// Largest image height and width.
        public static let imageSize = 4096
        /// Most image channels.
        public static let imageChannels = 64
        /// Most classes.
        public static let classes = 100_000
        /// Widest layer: convolution channels, hidden and time-embedding widths.
        public static let width = 16_384
        /// Most convolutions of a `cnn`, levels of a `unet`.
        public static let layers = 64
        /// Deepest WideResNet (`6n + 4`).
        public static let wideResNetDepth = 1_000
        /// Largest WideResNet widening factor.
        public static let widenFactor = 64
        /// Most residual blocks per level of an `ncsnpp` (DiffPure's has 8).
        public static let residualBlocks = 64
        /// Largest resolution an `ncsnpp` may attend at: attention keeps a [pixels, pixels]
        /// matrix per image, 64 MB at 64×64 (DiffPure's attends at 16×16).
        public static let attentionResolution = 64
        /// Longest `sigmas` buffer of an `ncsnpp` (upstream's `num_scales`; DiffPure's is 1000).
        public static let scales = 100_000
    }

    /// Checks every size of the configuration against `Limits` and the family's own rules.
    /// - Throws: `ModelFileError` naming `path`, the field, its value and the allowed range.
    public func validate(path: String) throws {
        let check = FieldCheck(path: path, family: familyName)
        switch self {
        case .cnn(let c):
            try check.range("inputChannels", c.inputChannels, 1...Limits.imageChannels)
            try check.range("imageSize", c.imageSize, 1...Limits.imageSize)
            try check.count("widths", c.widths.count, 1...Limits.layers)
            for (index, width) in c.widths.enumerated() { try check.range("widths[\(index)]", width, 1...Limits.width) }
            try check.count("poolAfter", c.poolAfter.count, c.widths.count...c.widths.count)
            try check.range("hidden", c.hidden, 1...Limits.width)
            try check.range("classes", c.classes, 2...Limits.classes)
        case .unet(let c):
            try check.range("imageChannels", c.imageChannels, 1...Limits.imageChannels)
            try check.range("imageSize", c.imageSize, 1...Limits.imageSize)
            try check.range("baseWidth", c.baseWidth, 1...Limits.width)
            try check.count("channelMultipliers", c.channelMultipliers.count, 1...8)
            for (index, multiplier) in c.channelMultipliers.enumerated() {
                try check.range("channelMultipliers[\(index)]", multiplier, 1...max(1, Limits.width / c.baseWidth))
            }
            try check.range("timeEmbeddingWidth", c.timeEmbeddingWidth, 2...Limits.width)
            try check.range("timeWidth", c.timeWidth, 1...Limits.width)
            // GroupNorm divides each width by the group count: zero divided by zero trapped.
            try check.range("groups", c.groups, 1...c.baseWidth)
            for width in [c.baseWidth] + c.widths where width % c.groups != 0 {
                throw check.error("groups", c.groups, "must divide every level's width (\(width) is one)")
            }
        case .wrn(let c):
            try check.range("depth", c.depth, 10...Limits.wideResNetDepth)
            if (c.depth - 4) % 6 != 0 {
                throw check.error("depth", c.depth, "must be 6n+4 (10, 16, 22, 28, 34, 40, …)")
            }
            try check.range("widenFactor", c.widenFactor, 1...Limits.widenFactor)
            try check.range("inputChannels", c.inputChannels, 1...Limits.imageChannels)
            try check.range("imageSize", c.imageSize, 4...Limits.imageSize)
            try check.range("classes", c.classes, 2...Limits.classes)
        case .resnet(let c):
            try check.count("layers", c.layers.count, 4...4)
            for (index, blocks) in c.layers.enumerated() { try check.range("layers[\(index)]", blocks, 1...Limits.layers) }
            // The last stage is 32 times the base width (8 × planes × expansion 4).
            try check.range("baseWidth", c.baseWidth, 1...(Limits.width / 32))
            try check.range("inputChannels", c.inputChannels, 1...Limits.imageChannels)
            try check.range("classes", c.classes, 2...Limits.classes)
            try check.count("mean", c.mean.count, c.inputChannels...c.inputChannels)
            try check.count("std", c.std.count, c.inputChannels...c.inputChannels)
            for (index, value) in c.std.enumerated() where !(value > 0 && value.isFinite) {
                throw ModelFileError(path: path, "has a resnet `dpl.configuration` with `std[\(index)]` = \(value), which must be a positive number (it divides the input); the file is damaged or was not made for this DPL")
            }
            for (index, value) in c.mean.enumerated() where !value.isFinite {
                throw ModelFileError(path: path, "has a resnet `dpl.configuration` with `mean[\(index)]` = \(value), which must be a finite number; the file is damaged or was not made for this DPL")
            }
        case .ncsnpp(let c):
            try check.range("imageChannels", c.imageChannels, 1...Limits.imageChannels)
            try check.range("imageSize", c.imageSize, 1...Limits.imageSize)
            try check.range("nf", c.nf, 4...Limits.width)
            try check.levels(imageSize: c.imageSize, baseWidth: c.nf, multipliers: c.channelMultipliers,
                             residualBlocks: c.residualBlocks, attentionResolutions: c.attentionResolutions)
            try check.range("scales", c.scales, 1...Limits.scales)
            for (field, value) in [("sigmaMin", c.sigmaMin), ("sigmaMax", c.sigmaMax)] where !(value > 0 && value.isFinite) {
                throw ModelFileError(path: path, "has an ncsnpp `dpl.configuration` with `\(field)` = \(value), which must be a positive number; the file is damaged or was not made for this DPL")
            }
            // GroupNorm splits every width into min(width / 4, 32) groups, which must divide it.
            let plan = c.plan()
            let normed = plan.blocks.flatMap { [$0.input, $0.output] } + plan.attention + [plan.outputWidth]
            if let width = normed.first(where: { $0 % ncsnppGroups($0) != 0 }) {
                throw check.error("nf", c.nf, "gives a layer of width \(width), which GroupNorm cannot split into \(ncsnppGroups(width)) groups; use an nf divisible by 4 (by 32 from 128 on)")
            }
        case .adm(let c):
            try check.range("imageChannels", c.imageChannels, 1...Limits.imageChannels)
            try check.range("imageSize", c.imageSize, 1...Limits.imageSize)
            try check.range("modelChannels", c.modelChannels, 32...Limits.width)
            if c.modelChannels % 32 != 0 {
                throw check.error("modelChannels", c.modelChannels, "must be a multiple of 32 (every GroupNorm has 32 groups)")
            }
            try check.levels(imageSize: c.imageSize, baseWidth: c.modelChannels, multipliers: c.channelMultipliers,
                             residualBlocks: c.residualBlocks, attentionResolutions: c.attentionResolutions)
            try check.range("headChannels", c.headChannels, 1...Limits.width)
            // Heads split every attended width (the middle block's always attends).
            let attended = c.channelMultipliers.enumerated()
                .filter { c.attentionResolutions.contains(c.imageSize >> $0.offset) }.map { $0.element * c.modelChannels }
                + [(c.channelMultipliers.last ?? 1) * c.modelChannels]
            if let width = attended.first(where: { $0 % c.headChannels != 0 }) {
                throw check.error("headChannels", c.headChannels, "must divide every attention block's width (\(width) is one)")
            }
        }
    }

    /// The number of values in the model's state dict (weights and buffers), or nil when it
    /// does not fit in an `Int`. Call after `validate(path:)`; the counts follow each
    /// model's initializer layer by layer, and tests compare them with built models.
    public var stateElementCount: Int? {
        var total = Tally()
        func conv(_ input: Int, _ output: Int, kernel: Int, bias: Bool = true) {
            total.add(output, input, kernel, kernel)
            if bias { total.add(output) }
        }
        func linear(_ input: Int, _ output: Int) {
            total.add(output, input)
            total.add(output)
        }
        switch self {
        case .cnn(let c):
            var channels = c.inputChannels
            var size = c.imageSize
            for (width, pool) in zip(c.widths, c.poolAfter) {
                conv(channels, width, kernel: 3)
                channels = width
                if pool { size /= 2 }
            }
            total.add(c.hidden, channels, size, size)
            total.add(c.hidden)
            linear(c.hidden, c.classes)
        case .unet(let c):
            func residualBlock(_ input: Int, _ output: Int) {
                total.add(2, input)                   // norm1 weight and bias
                conv(input, output, kernel: 3)
                linear(c.timeWidth, output)
                total.add(2, output)                  // norm2
                conv(output, output, kernel: 3)
                if input != output { conv(input, output, kernel: 1) }
            }
            let widths = c.widths
            conv(c.imageChannels, c.baseWidth, kernel: 3)
            linear(c.timeEmbeddingWidth, c.timeWidth)
            linear(c.timeWidth, c.timeWidth)
            var channels = c.baseWidth
            for (level, width) in widths.enumerated() {
                residualBlock(channels, width)
                channels = width
                if level < widths.count - 1 { conv(width, width, kernel: 3) }
            }
            residualBlock(channels, channels)
            for level in stride(from: widths.count - 1, through: 0, by: -1) {
                residualBlock(channels + widths[level], widths[level])
                channels = widths[level]
                if level > 0 { conv(widths[level], widths[level], kernel: 3) }
            }
            total.add(2, channels)
            conv(channels, c.imageChannels, kernel: 3)
        case .wrn(let c):
            func batchNorm(_ channels: Int) {
                total.add(4, channels)                // weight, bias, running mean and variance
                total.add(1)                          // batches tracked
            }
            conv(c.inputChannels, 16, kernel: 3, bias: false)
            var channels = 16
            for width in c.groupWidths {
                for _ in 0..<c.blocksPerGroup {
                    batchNorm(channels)
                    conv(channels, width, kernel: 3, bias: false)
                    batchNorm(width)
                    conv(width, width, kernel: 3, bias: false)
                    if channels != width { conv(channels, width, kernel: 1, bias: false) }
                    channels = width
                }
            }
            batchNorm(channels)
            linear(channels, c.classes)
        case .resnet(let c):
            func batchNorm(_ channels: Int) {
                total.add(4, channels)
                total.add(1)
            }
            conv(c.inputChannels, c.baseWidth, kernel: 7, bias: false)
            batchNorm(c.baseWidth)
            var channels = c.baseWidth
            for (planes, blocks) in zip(c.stagePlanes, c.layers) {
                let out = planes * ResNet.Configuration.expansion
                for block in 0..<blocks {
                    conv(channels, planes, kernel: 1, bias: false)
                    batchNorm(planes)
                    conv(planes, planes, kernel: 3, bias: false)
                    batchNorm(planes)
                    conv(planes, out, kernel: 1, bias: false)
                    batchNorm(out)
                    // Only the first block of a stage changes the width or strides.
                    if block == 0 {
                        conv(channels, out, kernel: 1, bias: false)
                        batchNorm(out)
                    }
                    channels = out
                }
            }
            linear(channels, c.classes)
        case .ncsnpp(let c):
            let timeWidth = 4 * c.nf
            linear(c.nf, timeWidth)
            linear(timeWidth, timeWidth)
            conv(c.imageChannels, c.nf, kernel: 3)
            let plan = c.plan()
            for block in plan.blocks {
                total.add(2, block.input)             // GroupNorm_0
                conv(block.input, block.output, kernel: 3)
                linear(timeWidth, block.output)       // Dense_0
                total.add(2, block.output)            // GroupNorm_1
                conv(block.output, block.output, kernel: 3)
                if block.resamples { conv(block.input, block.output, kernel: 1) }
            }
            for channels in plan.attention {
                total.add(2, channels)                // GroupNorm_0
                total.add(4, channels + 1, channels)  // NIN_0…3: W [C, C] and b [C]
            }
            total.add(2, plan.outputWidth)
            conv(plan.outputWidth, c.imageChannels, kernel: 3)
            total.add(c.scales)                       // the `sigmas` buffer
        case .adm(let c):
            guard let count = c.parameterCount else { return nil }
            total.add(count)
        }
        return total.value
    }
}

/// A sum of products that turns nil on overflow instead of trapping.
private struct Tally {
    private(set) var value: Int? = 0

    mutating func add(_ factors: Int...) {
        var product: Int? = 1
        for factor in factors {
            guard let current = product else { break }
            let (result, overflow) = current.multipliedReportingOverflow(by: factor)
            product = overflow ? nil : result
        }
        guard let sum = value, let product else {
            value = nil
            return
        }
        let (result, overflow) = sum.addingReportingOverflow(product)
        value = overflow ? nil : result
    }
}

/// Range checks of one configuration, each error naming the file and the field.
private struct FieldCheck {
    let path: String
    let family: String

    func error(_ field: String, _ value: Int, _ rule: String) -> ModelFileError {
        ModelFileError(path: path, "has a \(family) `dpl.configuration` with `\(field)` = \(value), which \(rule); the file is damaged or was not made for this DPL")
    }

    func range(_ field: String, _ value: Int, _ allowed: ClosedRange<Int>) throws {
        guard allowed.contains(value) else {
            throw error(field, value, "must be from \(allowed.lowerBound) to \(allowed.upperBound)")
        }
    }

    func count(_ field: String, _ count: Int, _ allowed: ClosedRange<Int>) throws {
        guard allowed.contains(count) else {
            let expected = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "from \(allowed.lowerBound) to \(allowed.upperBound)"
            throw ModelFileError(path: path, "has a \(family) `dpl.configuration` whose `\(field)` has \(count) entries, which must be \(expected); the file is damaged or was not made for this DPL")
        }
    }
}

extension FieldCheck {
    /// The level structure NCSN++ and ADM share: a channel multiplier per resolution level
    /// (the image halves at each, so its size must divide by 2^(levels − 1)), residual blocks
    /// per level, and attention at some of the resolutions.
    func levels(imageSize: Int, baseWidth: Int, multipliers: [Int], residualBlocks: Int,
                attentionResolutions: [Int]) throws {
        try count("channelMultipliers", multipliers.count, 1...8)
        for (index, multiplier) in multipliers.enumerated() {
            try range("channelMultipliers[\(index)]", multiplier, 1...max(1, Architecture.Limits.width / baseWidth))
        }
        if imageSize % (1 << (multipliers.count - 1)) != 0 {
            throw error("imageSize", imageSize, "must be divisible by \(1 << (multipliers.count - 1)) to go down \(multipliers.count - 1) levels")
        }
        try range("residualBlocks", residualBlocks, 1...Architecture.Limits.residualBlocks)
        try count("attentionResolutions", attentionResolutions.count, 0...8)
        for (index, resolution) in attentionResolutions.enumerated() {
            try range("attentionResolutions[\(index)]", resolution, 1...min(imageSize, Architecture.Limits.attentionResolution))
        }
    }
}
