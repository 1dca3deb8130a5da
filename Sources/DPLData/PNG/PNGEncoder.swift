import DPLTensor

/// How the encoder filters rows before compression.
public enum PNGFilterStrategy: Sendable {
    /// Filter type 0 on every row: fastest.
    case none
    /// Per row, the filter whose output has the smallest sum of absolute signed bytes (the
    /// heuristic the PNG specification suggests); usually the smallest file.
    case adaptive
}

/// Encodes 8-bit grayscale or RGB PNG files (non-interlaced, zlib-compressed, with CRCs).
public enum PNGEncoder {
    // MARK: - Entry points

    /// The PNG file contents for `image`, a tensor `[C, H, W]` with C = 1 (gray) or 3 (RGB).
    /// Values are clamped to [0, 1] and rounded to 8 bits; NaN becomes 0.
    /// - Throws: `DataError` when the shape is not `[1 or 3, H ≥ 1, W ≥ 1]`.
    public static func encode(_ image: Tensor, filter: PNGFilterStrategy = .adaptive, compressionLevel: Int32 = 6) throws -> [UInt8] {
        guard image.rank == 3, image.shape[0] == 1 || image.shape[0] == 3, image.shape[1] > 0, image.shape[2] > 0 else {
            throw DataError("PNG encoding needs an image of shape [C, H, W] with C = 1 or 3 and H, W ≥ 1, but the shape is \(shapeString(image.shape))")
        }
        let (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2])
        let rowBytes = channels * width
        let raw = image.withUnsafeScalars { scalars in interleavedBytes(scalars, channels: channels, height: height, width: width) }

        var filtered = [UInt8](repeating: 0, count: height * (1 + rowBytes))
        let zeroRow = [UInt8](repeating: 0, count: rowBytes)
        var candidate = [UInt8](repeating: 0, count: rowBytes)
        var best = [UInt8](repeating: 0, count: rowBytes)
        raw.withUnsafeBufferPointer { raw in
            zeroRow.withUnsafeBufferPointer { zeroRow in
                for y in 0..<height {
                    let row = UnsafeBufferPointer(rebasing: raw[(y * rowBytes)..<((y + 1) * rowBytes)])
                    let previous = y == 0 ? zeroRow : UnsafeBufferPointer(rebasing: raw[((y - 1) * rowBytes)..<(y * rowBytes)])
                    var chosen = PNGFilter.none
                    if filter == .adaptive {
                        var bestCost = Int.max
                        for type in PNGFilter.allCases {
                            candidate.withUnsafeMutableBufferPointer { type.apply(row, previous: previous, bytesPerPixel: channels, into: $0) }
                            let cost = candidate.reduce(0) { $0 + abs(Int(Int8(bitPattern: $1))) }
                            if cost < bestCost {
                                bestCost = cost
                                chosen = type
                                swap(&best, &candidate)
                            }
                        }
                    } else {
                        best.withUnsafeMutableBufferPointer { PNGFilter.none.apply(row, previous: previous, bytesPerPixel: channels, into: $0) }
                    }
                    let start = y * (1 + rowBytes)
                    filtered[start] = chosen.rawValue
                    filtered.replaceSubrange((start + 1)...(start + rowBytes), with: best)
                }
            }
        }

        var header: [UInt8] = []
        appendBigEndianUInt32(UInt32(width), to: &header)
        appendBigEndianUInt32(UInt32(height), to: &header)
        header += [8, channels == 1 ? PNGColorType.gray.rawValue : PNGColorType.rgb.rawValue, 0, 0, 0]
        var file = pngSignature
        appendPNGChunk("IHDR", header, to: &file)
        appendPNGChunk("IDAT", try deflateStream(filtered, container: .zlib, level: compressionLevel), to: &file)
        appendPNGChunk("IEND", [], to: &file)
        return file
    }

    /// Encodes `image` (see `encode`) and writes it to `path` atomically (temporary file, then
    /// rename), so a reader never sees half a PNG.
    /// - Throws: `DataError` for a bad shape or when the file cannot be written.
    public static func write(_ image: Tensor, to path: String, filter: PNGFilterStrategy = .adaptive) throws {
        let file: [UInt8]
        do {
            file = try encode(image, filter: filter)
        } catch let error as DataError where error.path.isEmpty {
            throw DataError(path: path, error.message)
        }
        try writeAtomically(file, to: path)
    }

    // MARK: - Quantization

    /// Channel-major floats to pixel-interleaved bytes (RGBRGB…), rounded to nearest.
    static func interleavedBytes(_ scalars: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int) -> [UInt8] {
        let plane = height * width
        return [UInt8](unsafeUninitializedCapacity: plane * channels) { bytes, initialized in
            for pixel in 0..<plane {
                for channel in 0..<channels {
                    let value = scalars[channel * plane + pixel]
                    let clamped = value.isNaN ? 0 : min(max(value, 0), 1)
                    bytes[pixel * channels + channel] = UInt8(clamped * 255 + 0.5)
                }
            }
            initialized = plane * channels
        }
    }
}
