/// Decodes PNG files (PNG specification, third edition): every colour type, bit depths 1–16,
/// all five filters, and Adam7 interlacing. Chunk CRCs are checked. Ancillary chunks are
/// skipped (so gamma and colour profiles are ignored, and `tRNS` transparency is dropped like
/// alpha); see `PNGImage` for how channels are converted.
public enum PNGDecoder {
    // MARK: - Entry points

    /// Reads and decodes the PNG file at `path`.
    /// - Throws: `DataError` naming the file and the problem (with byte offsets where known).
    public static func read(_ path: String, limits: DecodeLimits = .standard) throws -> PNGImage {
        try decode(readFileBytes(path), path: path, limits: limits)
    }

    /// Decodes PNG file contents; `path` is only used in error messages.
    ///
    /// The image's size (width × height × channels) is checked against `limits` from the header,
    /// and the image data is decompressed only as far as that size needs, so a small file
    /// cannot make the decoder allocate gigabytes.
    /// - Throws: `DataError` naming `path` and the problem.
    public static func decode(_ bytes: [UInt8], path: String, limits: DecodeLimits = .standard) throws -> PNGImage {
        let chunks = try readPNGChunks(bytes, path: path)
        guard let first = chunks.first, first.type == "IHDR" else {
            throw DataError(path: path, "does not start with an IHDR chunk at byte offset 8; the file is corrupt")
        }
        let header = try PNGHeader(first, path: path)
        var palette: [UInt8] = []
        var compressed: [UInt8] = []
        for chunk in chunks.dropFirst() {
            switch chunk.type {
            case "PLTE":
                guard chunk.data.count % 3 == 0, (1...(3 * 256)).contains(chunk.data.count) else {
                    throw DataError(path: path, "PLTE chunk at byte offset \(chunk.offset) has \(chunk.data.count) bytes; it needs 3 per entry and 1 to 256 entries")
                }
                palette = Array(chunk.data)
            case "IDAT":
                compressed += chunk.data
            case "IEND":
                break
            case "IHDR":
                throw DataError(path: path, "has a second IHDR chunk at byte offset \(chunk.offset); the file is corrupt")
            default:
                if chunk.isCritical {
                    throw DataError(path: path, "uses critical chunk \(chunk.type) at byte offset \(chunk.offset), which this decoder does not understand")
                }
            }
        }
        guard !compressed.isEmpty else {
            throw DataError(path: path, "has no IDAT chunk, so it holds no image data")
        }
        if header.colorType == .palette && palette.isEmpty {
            throw DataError(path: path, "is a palette image without a PLTE chunk")
        }
        let (samples, tooMany) = (header.width * header.height).multipliedReportingOverflow(by: header.colorType.decodedChannels)
        guard !tooMany, samples <= limits.maximumImageSamples else {
            throw DataError(path: path, "IHDR declares a \(header.width)×\(header.height) image with \(header.colorType.decodedChannels) channels, more than the \(limits.maximumImageSamples) samples DPL decodes from one image (DecodeLimits.maximumImageSamples); resize the image or raise the limit")
        }
        // The header fixes how many bytes the pixels take; more is never decompressed.
        let data = try inflateStream(compressed, container: .zlib, path: path, limit: .prefix(expectedDataSize(header)))
        return try decodePixels(data, header: header, palette: palette, path: path)
    }

    /// The bytes of decompressed image data the header implies: every (Adam7) pass's rows, each
    /// with its filter byte.
    static func expectedDataSize(_ header: PNGHeader) -> Int {
        let passes = header.interlaced ? adam7Passes : [(0, 0, 1, 1)]
        return passSizes(header, passes).reduce(0) { total, size in
            total + size.1 * (1 + (size.0 * header.colorType.samplesPerPixel * header.bitDepth + 7) / 8)
        }
    }

    /// Each pass's width and height; an empty pass (an image narrower or shorter than its
    /// start) stores no rows at all.
    static func passSizes(_ header: PNGHeader, _ passes: [(Int, Int, Int, Int)]) -> [(Int, Int)] {
        passes.map { (x0, y0, dx, dy) -> (Int, Int) in
            let passWidth = header.width > x0 ? (header.width - x0 + dx - 1) / dx : 0
            let passHeight = header.height > y0 ? (header.height - y0 + dy - 1) / dy : 0
            return passWidth == 0 || passHeight == 0 ? (0, 0) : (passWidth, passHeight)
        }
    }

    // MARK: - Pixels

    /// Where each Adam7 pass starts and how far apart its pixels lie: (x0, y0, dx, dy).
    static let adam7Passes: [(Int, Int, Int, Int)] = [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ]

    /// Unfilters each pass of the decompressed image data and converts samples to floats.
    static func decodePixels(_ data: [UInt8], header: PNGHeader, palette: [UInt8], path: String) throws -> PNGImage {
        let (width, height) = (header.width, header.height)
        let samplesPerPixel = header.colorType.samplesPerPixel
        let bitDepth = header.bitDepth
        let outputChannels = header.colorType.decodedChannels
        let plane = width * height
        let maxSample = Float((1 << bitDepth) - 1)
        let bytesPerPixel = max(1, samplesPerPixel * bitDepth / 8)
        let passes = header.interlaced ? adam7Passes : [(0, 0, 1, 1)]
        let paletteEntries = palette.count / 3

        let passSizes = Self.passSizes(header, passes)
        let expectedSize = expectedDataSize(header)
        guard data.count >= expectedSize else {
            throw DataError(path: path, "image data is truncated: a \(width)×\(height) image of colour type \(header.colorType.rawValue) and bit depth \(bitDepth) needs \(expectedSize) bytes but its IDAT chunks decompress to \(data.count)")
        }

        // Allocated only now, so a header claiming a huge image without the data for it fails
        // before reserving memory for it.
        var pixels = [Float](repeating: 0, count: outputChannels * plane)
        var cursor = 0
        for (passIndex, (x0, y0, dx, dy)) in passes.enumerated() {
            let (passWidth, passHeight) = passSizes[passIndex]
            if passWidth == 0 { continue }
            let rowBytes = (passWidth * samplesPerPixel * bitDepth + 7) / 8
            let needed = passHeight * (1 + rowBytes)
            var previous = [UInt8](repeating: 0, count: rowBytes)
            var row = [UInt8](repeating: 0, count: rowBytes)
            for passRow in 0..<passHeight {
                let rowStart = cursor + passRow * (1 + rowBytes)
                guard let filter = PNGFilter(rawValue: data[rowStart]) else {
                    let place = header.interlaced ? "row \(passRow) of Adam7 pass \(passIndex + 1)" : "row \(passRow)"
                    throw DataError(path: path, "\(place) has filter type \(data[rowStart]), but PNG filter types are 0 to 4; the file is corrupt")
                }
                for i in 0..<rowBytes { row[i] = data[rowStart + 1 + i] }
                row.withUnsafeMutableBufferPointer { rowBuffer in
                    previous.withUnsafeBufferPointer { previousBuffer in
                        filter.reconstruct(rowBuffer, previous: previousBuffer, bytesPerPixel: bytesPerPixel)
                    }
                }
                let y = y0 + passRow * dy
                for passColumn in 0..<passWidth {
                    let x = x0 + passColumn * dx
                    let pixel = y * width + x
                    let firstSample = passColumn * samplesPerPixel
                    if header.colorType == .palette {
                        let index = Int(sample(row, at: firstSample, bitDepth: bitDepth))
                        guard index < paletteEntries else {
                            throw DataError(path: path, "pixel (\(x), \(y)) uses palette index \(index) but the PLTE chunk has only \(paletteEntries) entries")
                        }
                        for channel in 0..<3 { pixels[channel * plane + pixel] = Float(palette[3 * index + channel]) / 255 }
                    } else {
                        for channel in 0..<outputChannels {
                            pixels[channel * plane + pixel] = Float(sample(row, at: firstSample + channel, bitDepth: bitDepth)) / maxSample
                        }
                    }
                }
                swap(&previous, &row)
            }
            cursor += needed
        }
        return PNGImage(width: width, height: height, channels: outputChannels, pixels: pixels, colorType: header.colorType, bitDepth: bitDepth)
    }

    /// Sample number `index` of an unfiltered row; samples under 8 bits are packed
    /// most-significant bits first, 16-bit samples are big-endian.
    @inline(__always)
    static func sample(_ row: [UInt8], at index: Int, bitDepth: Int) -> UInt32 {
        switch bitDepth {
        case 8: return UInt32(row[index])
        case 16: return UInt32(row[2 * index]) << 8 | UInt32(row[2 * index + 1])
        default:
            let bit = index * bitDepth
            let shift = 8 - bitDepth - bit % 8
            return UInt32(row[bit / 8] >> UInt8(shift)) & UInt32((1 << bitDepth) - 1)
        }
    }
}

// MARK: - Header

/// The fields of the IHDR chunk, validated.
struct PNGHeader {
    let width: Int
    let height: Int
    let bitDepth: Int
    let colorType: PNGColorType
    let interlaced: Bool

    init(_ chunk: PNGChunk, path: String) throws {
        let data = Array(chunk.data)
        guard data.count == 13 else {
            throw DataError(path: path, "IHDR chunk at byte offset \(chunk.offset) has \(data.count) bytes instead of 13; the file is corrupt")
        }
        width = Int(readBigEndianUInt32(data, at: 0))
        height = Int(readBigEndianUInt32(data, at: 4))
        bitDepth = Int(data[8])
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max), width * height <= 1 << 30 else {
            throw DataError(path: path, "IHDR declares a \(width)×\(height) image; width and height must be positive and the image at most 2^30 pixels")
        }
        guard let colorType = PNGColorType(rawValue: data[9]) else {
            throw DataError(path: path, "IHDR declares colour type \(data[9]), which PNG does not define (0, 2, 3, 4 or 6)")
        }
        self.colorType = colorType
        guard colorType.allowedBitDepths.contains(bitDepth) else {
            throw DataError(path: path, "IHDR declares bit depth \(bitDepth) for colour type \(data[9]), which allows only \(colorType.allowedBitDepths.map(String.init).joined(separator: ", "))")
        }
        guard data[10] == 0, data[11] == 0 else {
            throw DataError(path: path, "IHDR declares compression method \(data[10]) and filter method \(data[11]); PNG defines only 0 for both")
        }
        guard data[12] <= 1 else {
            throw DataError(path: path, "IHDR declares interlace method \(data[12]); PNG defines only 0 (none) and 1 (Adam7)")
        }
        interlaced = data[12] == 1
    }
}
