@testable import DPLData

// MARK: - IDX

/// An IDX file: magic, big-endian dimensions, payload.
func idxBytes(magic: UInt32, dimensions: [Int], payload: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = []
    appendBigEndianUInt32(magic, to: &bytes)
    for extent in dimensions { appendBigEndianUInt32(UInt32(extent), to: &bytes) }
    return bytes + payload
}

/// Deterministic pseudo-random bytes (a linear congruential sequence).
func patternBytes(_ count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(state >> 24)
    }
}

// MARK: - PNG

/// A PNG built straight from the specification, independently of `PNGEncoder`: every row
/// uses filter 0, samples are packed MSB first, and Adam7 passes are found by the 8×8 pass
/// pattern of the specification rather than by start/step tables.
/// `samples` holds `samplesPerPixel` values per pixel, row-major.
func pngFixture(
    width: Int, height: Int, colorType: UInt8, bitDepth: Int, samples: [UInt32],
    samplesPerPixel: Int, palette: [UInt8]? = nil, interlaced: Bool = false
) -> [UInt8] {
    let pattern: [[Int]] = [
        [1, 6, 4, 6, 2, 6, 4, 6], [7, 7, 7, 7, 7, 7, 7, 7], [5, 6, 5, 6, 5, 6, 5, 6], [7, 7, 7, 7, 7, 7, 7, 7],
        [3, 6, 4, 6, 3, 6, 4, 6], [7, 7, 7, 7, 7, 7, 7, 7], [5, 6, 5, 6, 5, 6, 5, 6], [7, 7, 7, 7, 7, 7, 7, 7],
    ]
    var raw: [UInt8] = []
    func appendRow(_ pixels: [Int]) {
        guard !pixels.isEmpty else { return }
        var bits: [Int] = []
        for pixel in pixels {
            for s in 0..<samplesPerPixel {
                let value = Int(samples[pixel * samplesPerPixel + s])
                for bit in stride(from: bitDepth - 1, through: 0, by: -1) { bits.append((value >> bit) & 1) }
            }
        }
        while bits.count % 8 != 0 { bits.append(0) }
        raw.append(0)
        for byte in stride(from: 0, to: bits.count, by: 8) {
            raw.append(UInt8(bits[byte..<(byte + 8)].reduce(0) { $0 << 1 | $1 }))
        }
    }
    if interlaced {
        for pass in 1...7 {
            for y in 0..<height {
                appendRow((0..<width).filter { pattern[y % 8][$0 % 8] == pass }.map { y * width + $0 })
            }
        }
    } else {
        for y in 0..<height { appendRow((0..<width).map { y * width + $0 }) }
    }
    return pngFile(width: width, height: height, colorType: colorType, bitDepth: bitDepth,
                   interlaced: interlaced, palette: palette, imageData: raw)
}

/// A PNG file around already filtered image data.
func pngFile(
    width: Int, height: Int, colorType: UInt8, bitDepth: Int, interlaced: Bool = false,
    palette: [UInt8]? = nil, imageData: [UInt8]
) -> [UInt8] {
    var header: [UInt8] = []
    appendBigEndianUInt32(UInt32(width), to: &header)
    appendBigEndianUInt32(UInt32(height), to: &header)
    header += [UInt8(bitDepth), colorType, 0, 0, interlaced ? 1 : 0]
    var file = pngSignature
    appendPNGChunk("IHDR", header, to: &file)
    if let palette { appendPNGChunk("PLTE", palette, to: &file) }
    appendPNGChunk("IDAT", try! deflateStream(imageData), to: &file)
    appendPNGChunk("IEND", [], to: &file)
    return file
}
