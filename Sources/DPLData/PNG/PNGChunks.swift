/// The 8 bytes every PNG file starts with.
let pngSignature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/// One chunk of a PNG file: 4-byte big-endian length, 4-byte type, data, CRC-32 of type + data.
struct PNGChunk {
    /// The four-letter type, e.g. `IHDR`.
    let type: String
    /// The chunk's data bytes.
    let data: ArraySlice<UInt8>
    /// Where the chunk (its length field) starts in the file, for error messages.
    let offset: Int

    /// Critical chunks (upper-case first letter) must be understood; others may be skipped.
    var isCritical: Bool { type.first?.isUppercase ?? false }
}

// MARK: - Reading

/// Splits a PNG file into its chunks up to and including `IEND`, checking the signature, that
/// each chunk fits in the file, and each CRC.
/// - Throws: `DataError` naming `path`, the chunk and its byte offset.
func readPNGChunks(_ bytes: [UInt8], path: String) throws -> [PNGChunk] {
    guard bytes.count >= pngSignature.count, Array(bytes[0..<pngSignature.count]) == pngSignature else {
        throw DataError(path: path, "is not a PNG file: the 8-byte PNG signature at byte offset 0 is missing")
    }
    var chunks: [PNGChunk] = []
    var offset = pngSignature.count
    while true {
        guard offset + 12 <= bytes.count else {
            throw DataError(path: path, "is truncated: it ends at byte offset \(bytes.count) before the IEND chunk")
        }
        let length = Int(readBigEndianUInt32(bytes, at: offset))
        let typeBytes = bytes[(offset + 4)..<(offset + 8)]
        let type = String(decoding: typeBytes, as: UTF8.self)
        guard typeBytes.allSatisfy({ (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) }) else {
            throw DataError(path: path, "has an invalid chunk type at byte offset \(offset + 4); the file is corrupt")
        }
        guard length <= Int(Int32.max), offset + 12 + length <= bytes.count else {
            throw DataError(path: path, "is truncated: chunk \(type) at byte offset \(offset) declares \(length) data bytes but the file ends at byte offset \(bytes.count)")
        }
        let dataRange = (offset + 8)..<(offset + 8 + length)
        let storedCRC = readBigEndianUInt32(bytes, at: dataRange.upperBound)
        let computedCRC = crc32Checksum(bytes[(offset + 4)..<dataRange.upperBound])
        guard storedCRC == computedCRC else {
            throw DataError(path: path, "chunk \(type) at byte offset \(offset) has a bad CRC (stored \(hex32(storedCRC)), computed \(hex32(computedCRC))); the file is corrupt")
        }
        chunks.append(PNGChunk(type: type, data: bytes[dataRange], offset: offset))
        if type == "IEND" { return chunks }
        offset = dataRange.upperBound + 4
    }
}

// MARK: - Writing

/// Appends a chunk with its length and CRC to `output`.
func appendPNGChunk(_ type: String, _ data: [UInt8], to output: inout [UInt8]) {
    let typeBytes = Array(type.utf8)
    appendBigEndianUInt32(UInt32(data.count), to: &output)
    output += typeBytes
    output += data
    appendBigEndianUInt32(crc32Checksum(data, continuing: crc32Checksum(typeBytes)), to: &output)
}

// MARK: - Byte helpers

func readBigEndianUInt32<Bytes: RandomAccessCollection>(_ bytes: Bytes, at offset: Bytes.Index) -> UInt32 where Bytes.Element == UInt8, Bytes.Index == Int {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

func appendBigEndianUInt32(_ value: UInt32, to output: inout [UInt8]) {
    output += [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
}

func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
