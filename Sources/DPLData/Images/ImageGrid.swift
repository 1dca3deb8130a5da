import DPLTensor

/// Lays images out in a grid with padding between and around them, e.g. to save clean,
/// adversarial and purified images side by side as one PNG.
public struct ImageGrid: Sendable {
    /// Images per row.
    public var columns: Int
    /// Pixels of padding between images and around the border.
    public var padding: Int
    /// The padding colour in [0, 1]: one value for every channel, or one per channel.
    public var paddingColour: [Float]

    /// A grid `columns` images wide; white padding by default.
    public init(columns: Int, padding: Int = 2, paddingColour: [Float] = [1]) {
        self.columns = columns
        self.padding = padding
        self.paddingColour = paddingColour
    }

    // MARK: - Rendering

    /// One picture `[C, H', W']` of `images` `[N, C, H, W]`, filled row by row; cells after
    /// the last image stay padding colour. The grid has ceil(N / columns) rows.
    /// - Throws: `DataError` for a bad shape, `columns`, `padding` or `paddingColour`.
    public func render(_ images: Tensor) throws -> Tensor {
        try render(rowsOf: [images])
    }

    /// One picture in which each group `[N_i, C, H, W]` starts a new row (wrapping after
    /// `columns` images), e.g. `[clean, adversarial, purified]` gives one band per stage.
    /// - Throws: `DataError` when groups differ in image shape or a parameter is invalid.
    public func render(rowsOf groups: [Tensor]) throws -> Tensor {
        guard columns > 0, padding >= 0 else {
            throw DataError("image grid needs columns ≥ 1 and padding ≥ 0 but has columns \(columns) and padding \(padding)")
        }
        guard let firstGroup = groups.first, firstGroup.rank == 4 else {
            throw DataError("image grid needs images of shape [N, C, H, W] but got \(groups.first.map { shapeString($0.shape) } ?? "no images")")
        }
        let imageShape = Array(firstGroup.shape.dropFirst())
        for group in groups where group.rank != 4 || Array(group.shape.dropFirst()) != imageShape {
            throw DataError("image grid groups must share the image shape: \(shapeString(firstGroup.shape)) and \(shapeString(group.shape))")
        }
        let (channels, height, width) = (imageShape[0], imageShape[1], imageShape[2])
        guard paddingColour.count == 1 || paddingColour.count == channels else {
            throw DataError("image grid padding colour has \(paddingColour.count) values; give 1 or one per channel (\(channels))")
        }
        let rowsPerGroup = groups.map { max(1, ($0.shape[0] + columns - 1) / columns) }
        let rows = rowsPerGroup.reduce(0, +)
        let gridHeight = rows * height + (rows + 1) * padding
        let gridWidth = columns * width + (columns + 1) * padding
        let plane = gridHeight * gridWidth
        let colour = paddingColour.count == 1 ? [Float](repeating: paddingColour[0], count: channels) : paddingColour

        return Tensor.uninitialized(shape: [channels, gridHeight, gridWidth]) { grid in
            for channel in 0..<channels {
                for index in 0..<plane { grid[channel * plane + index] = colour[channel] }
            }
            var firstRow = 0
            for (group, groupRows) in zip(groups, rowsPerGroup) {
                group.withUnsafeScalars { source in
                    for image in 0..<group.shape[0] {
                        let top = padding + (firstRow + image / columns) * (height + padding)
                        let left = padding + (image % columns) * (width + padding)
                        for channel in 0..<channels {
                            let sourcePlane = (image * channels + channel) * height * width
                            for y in 0..<height {
                                let targetRow = channel * plane + (top + y) * gridWidth + left
                                let sourceRow = sourcePlane + y * width
                                for x in 0..<width { grid[targetRow + x] = source[sourceRow + x] }
                            }
                        }
                    }
                }
                firstRow += groupRows
            }
        }
    }

    // MARK: - Saving

    /// Renders `groups` (see `render(rowsOf:)`) and writes an 8-bit PNG to `path` atomically.
    /// - Throws: `DataError` for bad inputs, a channel count other than 1 or 3, or a write failure.
    public func write(rowsOf groups: [Tensor], to path: String) throws {
        try PNGEncoder.write(render(rowsOf: groups), to: path)
    }

    /// Renders `images` (see `render(_:)`) and writes an 8-bit PNG to `path` atomically.
    /// - Throws: `DataError` for bad inputs, a channel count other than 1 or 3, or a write failure.
    public func write(_ images: Tensor, to path: String) throws {
        try write(rowsOf: [images], to: path)
    }
}
