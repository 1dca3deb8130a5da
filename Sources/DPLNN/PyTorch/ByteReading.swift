import Foundation

// MARK: - Bounds-checked little-endian reads

/// Reads of fixed-size integers from untrusted bytes: every read is checked against the end of
/// the data and returns nil past it, so a truncated or lying file is an error, never a trap.
/// The data must start at index 0 (callers rebase slices).
extension Data {
    /// The unsigned little-endian integer of `size` bytes (1…8) at `offset`, or nil when any
    /// of those bytes lies outside the data.
    func littleEndian(at offset: Int, size: Int) -> UInt64? {
        guard offset >= 0, size >= 1, size <= 8, offset <= count - size else { return nil }
        return withUnsafeBytes { raw in
            var value: UInt64 = 0
            for i in stride(from: size - 1, through: 0, by: -1) {
                value = value << 8 | UInt64(raw[offset + i])
            }
            return value
        }
    }

    /// The 2-byte little-endian integer at `offset`, or nil past the end.
    func uint16(at offset: Int) -> Int? { littleEndian(at: offset, size: 2).map { Int($0) } }
    /// The 4-byte little-endian integer at `offset`, or nil past the end.
    func uint32(at offset: Int) -> Int? { littleEndian(at: offset, size: 4).map { Int($0) } }
    /// The 8-byte little-endian integer at `offset` if it fits in `Int`, or nil past the end
    /// or when it does not (no file DPL reads is 2⁶³ bytes long, so such a value is a lie).
    func uint64(at offset: Int) -> Int? {
        guard let value = littleEndian(at: offset, size: 8), value <= UInt64(Int.max) else { return nil }
        return Int(value)
    }

    /// The bytes `offset..<offset + length`, or nil when they do not all lie inside the data.
    func bytes(at offset: Int, length: Int) -> Data? {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else { return nil }
        return subdata(in: offset..<(offset + length))
    }
}
