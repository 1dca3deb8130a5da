/// One array in NumPy's `.npy` format (NEP 1, format version 1.0), as `numpy.load` reads it:
/// little-endian elements in C order after a header that declares dtype and shape.
///
/// Only the element types DPL writes are offered: `float32` (`'<f4'`) for images, `int64`
/// (`'<i8'`) for labels and `uint64` (`'<u8'`) for sample ids, which are unsigned 64-bit
/// hashes (as `int64` half of them would turn negative and no longer match the ids in results),
/// and one Unicode string (`'<U…'`, UTF-32) for the provenance in an `.npz`.
public struct NPYArray: Sendable, Equatable {
    /// The elements, in C (row-major) order.
    public enum Elements: Sendable, Equatable {
        case float32([Float])
        case int64([Int64])
        case uint64([UInt64])
        /// One string, stored as a zero-dimensional array of `'<U<length>'` (UTF-32LE code
        /// points); `str(array)` in NumPy gives the text back.
        case unicode(String)

        var count: Int {
            switch self {
            case .float32(let values): return values.count
            case .int64(let values): return values.count
            case .uint64(let values): return values.count
            case .unicode: return 1
            }
        }

        /// The NumPy dtype string: byte order, kind, item size.
        var descr: String {
            switch self {
            case .float32: return "<f4"
            case .int64: return "<i8"
            case .uint64: return "<u8"
            // NumPy has no zero-length string type; an empty text is one NUL, which it strips.
            case .unicode(let text): return "<U\(max(1, text.unicodeScalars.count))"
            }
        }

        var itemSize: Int {
            switch self {
            case .float32: return 4
            case .int64, .uint64: return 8
            case .unicode(let text): return 4 * max(1, text.unicodeScalars.count)
            }
        }
    }

    /// The array's dimensions; `[]` is a scalar.
    public let shape: [Int]
    public let elements: Elements

    /// NumPy aligns the start of the data to this many bytes (`numpy.lib.format.ARRAY_ALIGN`),
    /// so a reader can memory-map the elements.
    public static let alignment = 64
    /// `\x93NUMPY`, the first six bytes of every `.npy` file.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// An array of `shape` holding `elements`.
    /// - Throws: `DataError` when the element count is not the product of `shape` or a
    ///   dimension is negative.
    public init(shape: [Int], elements: Elements) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw DataError("an array's shape \(shape) has a negative dimension") }
        let expected = shape.reduce(1, *)
        guard expected == elements.count else {
            throw DataError("an array of shape \(shape) needs \(expected) elements, but \(elements.count) were given")
        }
        self.shape = shape
        self.elements = elements
    }

    /// The header dictionary as NumPy writes it: `{'descr': '<f4', 'fortran_order': False,
    /// 'shape': (2, 3), }`; a one-dimensional shape keeps Python's trailing comma, `(5,)`.
    var headerDictionary: String {
        let dims = shape.map(String.init).joined(separator: ", ")
        let tuple = shape.count == 1 ? "(\(dims),)" : "(\(dims))"
        return "{'descr': '\(elements.descr)', 'fortran_order': False, 'shape': \(tuple), }"
    }

    /// Magic, version 1.0, the 16-bit header length and the header padded with spaces and ended
    /// by a newline so that the data starts at a multiple of `alignment`.
    /// - Throws: `DataError` when the header would exceed version 1.0's 65,535 bytes (a shape of
    ///   thousands of dimensions).
    func preamble() throws -> [UInt8] {
        let fixed = Self.magic.count + 2 + 2
        var header = Array(headerDictionary.utf8)
        let unpadded = fixed + header.count + 1
        let padding = (Self.alignment - unpadded % Self.alignment) % Self.alignment
        header += [UInt8](repeating: 0x20, count: padding) + [0x0A]
        guard header.count <= Int(UInt16.max) else {
            throw DataError("an array of \(shape.count) dimensions needs a .npy header of \(header.count) bytes; format 1.0 allows 65535")
        }
        var bytes = Self.magic + [1, 0]
        bytes += [UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
        return bytes + header
    }

    /// The whole `.npy` file.
    public func encoded() throws -> [UInt8] {
        var bytes = try preamble()
        bytes.reserveCapacity(bytes.count + elements.count * elements.itemSize)
        // Every platform Swift runs DPL on is little-endian, but the format fixes the byte
        // order, so it is written explicitly.
        switch elements {
        case .float32(let values): for value in values { appendLittleEndian(value.bitPattern, to: &bytes) }
        case .int64(let values): for value in values { appendLittleEndian(UInt64(bitPattern: value), to: &bytes) }
        case .uint64(let values): for value in values { appendLittleEndian(value, to: &bytes) }
        case .unicode(let text):
            for scalar in text.unicodeScalars { appendLittleEndian(scalar.value, to: &bytes) }
            if text.isEmpty { appendLittleEndian(UInt32(0), to: &bytes) }
        }
        return bytes
    }
}

/// Appends `value`'s bytes, least significant first.
func appendLittleEndian<Word: FixedWidthInteger>(_ value: Word, to bytes: inout [UInt8]) {
    var remaining = value
    for _ in 0..<(Word.bitWidth / 8) {
        bytes.append(UInt8(truncatingIfNeeded: remaining))
        remaining >>= 8
    }
}
