/// A zip archive whose members are *stored* (not compressed), as `numpy.savez` writes an
/// `.npz`: each member's bytes can be memory-mapped, and the archive is the same bytes on every
/// run (every member carries the zip epoch, 1980-01-01 00:00, as its time).
///
/// Without zip64 records, sizes and offsets are limited to 32 bits and the member count to
/// 65,535; an archive that would need more is refused with the reason.
public enum StoredZip {
    /// The signatures of the three record types written.
    static let localHeaderSignature: UInt32 = 0x0403_4B50
    static let centralHeaderSignature: UInt32 = 0x0201_4B50
    static let endOfCentralDirectorySignature: UInt32 = 0x0605_4B50
    /// Version 2.0: what a reader needs for stored members without zip64.
    static let version: UInt16 = 20
    /// MS-DOS date of 1980-01-01: (year − 1980) << 9 | month << 5 | day.
    static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    /// The archive holding `members` in order.
    /// - Parameter path: the file being written, named in errors.
    /// - Throws: `DataError` when a member or the whole archive exceeds 4 GiB − 1 bytes or
    ///   there are more than 65,535 members (that would need zip64), or two members share a name.
    public static func archive(_ members: [(name: String, bytes: [UInt8])], path: String) throws -> [UInt8] {
        try archive(members, path: path, limit: Int(UInt32.max))
    }

    /// `archive(_:path:)` with the 32-bit limit as a parameter, so tests reach the refusal
    /// without allocating 4 GiB.
    static func archive(_ members: [(name: String, bytes: [UInt8])], path: String, limit: Int) throws -> [UInt8] {
        guard members.count <= Int(UInt16.max) else {
            throw DataError(path: path, "would hold \(members.count) arrays; a zip without zip64 holds at most 65535")
        }
        var seen = Set<String>()
        for member in members {
            guard seen.insert(member.name).inserted else { throw DataError(path: path, "would hold two members named `\(member.name)`") }
            guard member.name.utf8.count <= Int(UInt16.max) else { throw DataError(path: path, "a member's name is over 65535 bytes long") }
        }
        var archive: [UInt8] = []
        var central: [UInt8] = []
        for member in members {
            let name = Array(member.name.utf8)
            let offset = archive.count
            guard member.bytes.count <= limit, offset <= limit else {
                throw DataError(path: path, "member `\(member.name)` would need zip64 (over 4 GiB); save fewer images (`take`), or save the arrays one by one as .npy")
            }
            let crc = crc32Checksum(member.bytes)
            let size = UInt32(member.bytes.count)
            append(localHeaderSignature, to: &archive)
            writeCommonFields(crc: crc, size: size, nameLength: name.count, to: &archive)
            append(UInt16(0), to: &archive)  // extra field length
            archive += name
            archive += member.bytes

            append(centralHeaderSignature, to: &central)
            append(version, to: &central)  // made by: MS-DOS attributes, version 2.0
            writeCommonFields(crc: crc, size: size, nameLength: name.count, to: &central)
            append(UInt16(0), to: &central)  // extra field length
            append(UInt16(0), to: &central)  // comment length
            append(UInt16(0), to: &central)  // disk number start
            append(UInt16(0), to: &central)  // internal attributes
            append(UInt32(0), to: &central)  // external attributes
            append(UInt32(offset), to: &central)
            central += name
        }
        let directoryOffset = archive.count
        guard directoryOffset <= limit, central.count <= limit, directoryOffset + central.count <= limit else {
            throw DataError(path: path, "would be \(directoryOffset + central.count) bytes, over the 4 GiB a zip without zip64 allows; save fewer images (`take`), or save the arrays one by one as .npy")
        }
        archive += central
        append(endOfCentralDirectorySignature, to: &archive)
        append(UInt16(0), to: &archive)  // this disk
        append(UInt16(0), to: &archive)  // disk of the central directory
        append(UInt16(members.count), to: &archive)
        append(UInt16(members.count), to: &archive)
        append(UInt32(central.count), to: &archive)
        append(UInt32(directoryOffset), to: &archive)
        append(UInt16(0), to: &archive)  // comment length
        return archive
    }

    /// The fields local and central headers share, from "version needed" to the name length.
    private static func writeCommonFields(crc: UInt32, size: UInt32, nameLength: Int, to bytes: inout [UInt8]) {
        append(version, to: &bytes)       // version needed to extract
        append(UInt16(0), to: &bytes)     // flags: no encryption, sizes in the header
        append(UInt16(0), to: &bytes)     // method 0: stored
        append(UInt16(0), to: &bytes)     // time 00:00:00
        append(dosDate, to: &bytes)
        append(crc, to: &bytes)
        append(size, to: &bytes)          // compressed size
        append(size, to: &bytes)          // uncompressed size
        append(UInt16(nameLength), to: &bytes)
    }

    private static func append<Word: FixedWidthInteger>(_ value: Word, to bytes: inout [UInt8]) {
        appendLittleEndian(value, to: &bytes)
    }
}
