import Foundation
import Testing
@testable import DPLData

@Suite("FileIO")
struct FileIOTests {
    @Test("gzip is detected by magic, plain files are read as is")
    func possiblyGzipped() throws {
        let folder = try TemporaryFolder()
        let plain = try folder.write("plain.bin", [0x1f, 0x00, 7])
        let packed = try folder.write("packed.bin", deflateStream([5, 6, 7], container: .gzip))
        #expect(try readPossiblyGzipped(plain) == [0x1f, 0x00, 7])
        #expect(try readPossiblyGzipped(packed) == [5, 6, 7])
        #expect(describes(dataError { _ = try readPossiblyGzipped(folder.file("none")) }, path: folder.file("none"), "not found"))
    }

    @Test("atomic write replaces the file and leaves no temporary behind")
    func atomicWrite() throws {
        let folder = try TemporaryFolder()
        let target = folder.file("out.bin")
        try writeAtomically([1, 2], to: target)
        try writeAtomically([3], to: target)
        #expect(try readFileBytes(target) == [3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.bin"])
        let missing = folder.path + "/no/such/out.bin"
        #expect(describes(dataError { try writeAtomically([1], to: missing) }, path: missing, "does not exist"))
    }
}
