import DPLTensor

/// Readers for the IDX format of MNIST and Fashion-MNIST: a 4-byte magic number (two zero
/// bytes, the element type, the rank), one big-endian `UInt32` per dimension, then the
/// elements. Only unsigned-byte files are read: 0x00000803 for images `[N, H, W]` and
/// 0x00000801 for labels `[N]`. Files may be gzipped.
public enum IDX {
    /// Magic number of an unsigned-byte rank-3 file (images).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic number of an unsigned-byte rank-1 file (labels).
    public static let labelsMagic: UInt32 = 0x0000_0801

    // MARK: - Images

    /// The images of an IDX image file as a tensor `[N, 1, H, W]` scaled to [0, 1].
    /// - Throws: `DataError` naming the file when it is missing, not an image file (magic
    ///   number), or its size disagrees with the dimensions in its header.
    public static func readImages(_ path: String, limits: DecodeLimits = .standard) throws -> Tensor {
        try decodeImages(readFileBytes(path), path: path, limits: limits)
    }

    /// The images of an IDX image file already in memory (gzipped or not); `path` is for messages.
    /// Readers of untrusted bytes (the fuzz harnesses) call this without a file.
    public static func decodeImages(_ raw: [UInt8], path: String, limits: DecodeLimits = .standard) throws -> Tensor {
        let file = try IDXFile(raw: raw, path: path, magic: imagesMagic, kind: "image", limits: limits)
        let (count, height, width) = (file.dimensions[0], file.dimensions[1], file.dimensions[2])
        return file.bytes.withUnsafeBufferPointer { bytes in
            Tensor.uninitialized(shape: [count, 1, height, width]) { pixels in
                unitFloatOfByte.withUnsafeBufferPointer { unitFloat in
                    for index in 0..<pixels.count {
                        pixels[index] = unitFloat[Int(bytes[file.headerSize + index])]
                    }
                }
            }
        }
    }

    // MARK: - Labels

    /// The labels of an IDX label file.
    /// - Parameter classCount: labels must lie in `0..<classCount`.
    /// - Throws: `DataError` naming the file when it is missing, not a label file, its size
    ///   disagrees with its header, or a label is out of range (with its byte offset).
    public static func readLabels(_ path: String, classCount: Int, limits: DecodeLimits = .standard) throws -> [Int] {
        try decodeLabels(readFileBytes(path), path: path, classCount: classCount, limits: limits)
    }

    /// The labels of an IDX label file already in memory (gzipped or not); `path` is for messages.
    public static func decodeLabels(_ raw: [UInt8], path: String, classCount: Int,
                                    limits: DecodeLimits = .standard) throws -> [Int] {
        let file = try IDXFile(raw: raw, path: path, magic: labelsMagic, kind: "label", limits: limits)
        var labels = [Int]()
        labels.reserveCapacity(file.dimensions[0])
        for offset in file.headerSize..<file.bytes.count {
            let label = Int(file.bytes[offset])
            guard label < classCount else {
                throw DataError(path: path, "label \(label) at byte offset \(offset)\(file.offsetNote) is outside 0...\(classCount - 1)")
            }
            labels.append(label)
        }
        return labels
    }
}

// MARK: - File structure

/// A whole IDX file in memory with its header checked against its size.
private struct IDXFile {
    let bytes: [UInt8]
    let dimensions: [Int]
    let headerSize: Int
    /// Says that offsets count decompressed bytes when the file was gzipped.
    let offsetNote: String

    /// Reads the header first (of a gzipped file, by decompressing only its first bytes) and
    /// checks it, then decompresses at most the size it declares: an 8 MB `.gz` whose header
    /// asks for 8 GB is refused before anything large is allocated.
    init(raw: [UInt8], path: String, magic expectedMagic: UInt32, kind: String, limits: DecodeLimits) throws {
        let gzipped = isGzip(raw)
        let rank = Int(expectedMagic & 0xff)
        let headerSize = 4 + 4 * rank
        let offsetNote = gzipped ? " (of the decompressed data)" : ""
        let header = gzipped ? try inflateStream(raw, container: .gzip, path: path, limit: .prefix(headerSize)) : raw
        try Self.checkHeader(header, path: path, magic: expectedMagic, kind: kind, offsetNote: offsetNote)
        let dimensions = (0..<rank).map { Int(Self.bigEndianUInt32(header, at: 4 + 4 * $0)) }
        let (elementCount, overflow) = dimensions.reduce((1, false)) { partial, extent in
            let (product, overflowed) = partial.0.multipliedReportingOverflow(by: extent)
            return (product, partial.1 || overflowed)
        }
        let shape = dimensions.map(String.init).joined(separator: " × ")
        guard !overflow, elementCount <= limits.maximumDecompressedBytes - headerSize else {
            throw DataError(path: path, "header at byte offset 4 declares \(shape) \(kind) bytes, more than the \(limits.maximumDecompressedBytes) bytes DPL reads from one file (DecodeLimits.maximumDecompressedBytes); the file is damaged or a decompression bomb")
        }
        let expectedSize = headerSize + elementCount
        // One byte beyond the declared size is enough to tell trailing data from a match.
        let bytes = gzipped
            ? try inflateStream(raw, container: .gzip, path: path, limit: .prefix(expectedSize + 1))
            : raw
        self.bytes = bytes
        self.offsetNote = offsetNote
        self.headerSize = headerSize
        self.dimensions = dimensions
        guard bytes.count == expectedSize else {
            let problem = bytes.count < expectedSize ? "is truncated" : "has trailing data"
            throw DataError(path: path, "\(problem): the header at byte offset 4 declares \(shape) bytes of \(kind)s, so the file should have \(expectedSize) bytes but it has \(bytes.count > expectedSize && gzipped ? "more" : String(bytes.count))\(offsetNote)")
        }
    }

    /// The magic number and the header's length, before any size in it is believed.
    private static func checkHeader(_ bytes: [UInt8], path: String, magic expectedMagic: UInt32, kind: String,
                                    offsetNote: String) throws {
        guard bytes.count >= 4 else {
            throw DataError(path: path, "is not an IDX \(kind) file: it has only \(bytes.count) bytes, too few for the 4-byte magic number at byte offset 0")
        }
        let magic = Self.bigEndianUInt32(bytes, at: 0)
        guard magic == expectedMagic else {
            throw DataError(path: path, "is not an IDX \(kind) file: magic number at byte offset 0 is \(Self.hex(magic)) but should be \(Self.hex(expectedMagic))")
        }
        let rank = Int(expectedMagic & 0xff)
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw DataError(path: path, "IDX header is truncated: \(rank) dimensions need \(headerSize) bytes but the file has \(bytes.count)\(offsetNote)")
        }
    }

    static func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
