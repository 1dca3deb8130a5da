import Testing
@testable import DPLData

/// The stored zip behind `.npz`, read back field by field from the central directory as an
/// unzip tool does (APPNOTE.TXT 4.3).
@Suite("Stored zip")
struct StoredZipTests {
    func u16(_ bytes: [UInt8], _ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }

    @Test("local headers, central directory and end record agree on names, sizes, CRCs and offsets")
    func centralDirectory() throws {
        let members: [(name: String, bytes: [UInt8])] = [("a.npy", Array("hello".utf8)), ("bb.npy", [])]
        let zip = try StoredZip.archive(members, path: "x.npz")
        // End of central directory: the last 22 bytes (no comment).
        let end = zip.count - 22
        #expect(u32(zip, end) == 0x0605_4B50)
        #expect(u16(zip, end + 8) == 2 && u16(zip, end + 10) == 2)
        let directorySize = Int(u32(zip, end + 12)), directoryOffset = Int(u32(zip, end + 16))
        #expect(directoryOffset + directorySize == end)
        #expect(u16(zip, end + 20) == 0)

        var entry = directoryOffset
        var expectedLocal = 0
        for member in members {
            #expect(u32(zip, entry) == 0x0201_4B50)
            #expect(u16(zip, entry + 6) == 20, "version needed 2.0")
            #expect(u16(zip, entry + 8) == 0, "no flags")
            #expect(u16(zip, entry + 10) == 0, "stored")
            #expect(u16(zip, entry + 12) == 0 && u16(zip, entry + 14) == 0x21, "1980-01-01 00:00, the same bytes every run")
            #expect(u32(zip, entry + 16) == (member.name == "a.npy" ? 0x3610_A686 : 0), "CRC-32 of \"hello\" and of nothing")
            #expect(Int(u32(zip, entry + 20)) == member.bytes.count && Int(u32(zip, entry + 24)) == member.bytes.count)
            let nameLength = u16(zip, entry + 28)
            #expect(u16(zip, entry + 30) == 0 && u16(zip, entry + 32) == 0)
            let local = Int(u32(zip, entry + 42))
            #expect(local == expectedLocal)
            #expect(String(decoding: zip[(entry + 46)..<(entry + 46 + nameLength)], as: UTF8.self) == member.name)

            #expect(u32(zip, local) == 0x0403_4B50)
            #expect(Array(zip[(local + 4)..<(local + 26)]) == Array(zip[(entry + 6)..<(entry + 28)]), "local header repeats the central fields")
            #expect(u16(zip, local + 28) == 0, "no extra field")
            let data = local + 30 + nameLength
            #expect(Array(zip[data..<(data + member.bytes.count)]) == member.bytes)
            expectedLocal = data + member.bytes.count
            entry += 46 + nameLength
        }
        #expect(entry == end)
    }

    @Test("sizes that would need zip64 are refused with the way out; duplicate names too")
    func refusals() {
        #expect(throws: DataError.self) { try StoredZip.archive([("a.npy", [UInt8](repeating: 1, count: 101))], path: "x.npz", limit: 100) }
        do {
            _ = try StoredZip.archive([("a.npy", [UInt8](repeating: 1, count: 60)), ("b.npy", [UInt8](repeating: 1, count: 60))], path: "x.npz", limit: 100)
            Issue.record("an archive over the limit was written")
        } catch let error as DataError {
            #expect(error.path == "x.npz")
            #expect(error.message.contains("over the 4 GiB a zip without zip64 allows; save fewer images"), "\(error)")
        } catch { Issue.record("\(error)") }
        #expect(throws: DataError(path: "x.npz", "would hold two members named `a.npy`")) {
            try StoredZip.archive([("a.npy", []), ("a.npy", [])], path: "x.npz")
        }
    }

    @Test("the same members give the same bytes")
    func deterministic() throws {
        let members: [(name: String, bytes: [UInt8])] = [("clean.npy", [1, 2, 3])]
        #expect(try StoredZip.archive(members, path: "a") == StoredZip.archive(members, path: "b"))
    }
}
