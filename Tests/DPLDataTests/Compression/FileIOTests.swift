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

    /// kill -9 during a save left `.name.<pid>.<rand>.tmp` files nobody removed (issue 17).
    @Test("a save removes temporaries of its file left by a process that is gone, not those of a live one")
    func abandonedTemporariesAreRemoved() throws {
        let folder = try TemporaryFolder()
        // A pid above the kernel's maximum (4194304) cannot be a live process.
        let abandoned = try folder.write(".r.json.4194399.17.tmp", [1])
        let live = try folder.write(".r.json.\(ProcessInfo.processInfo.processIdentifier).18.tmp", [2])
        let other = try folder.write(".s.json.4194399.19.tmp", [3])
        try writeAtomically([9], to: folder.path + "/r.json")
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(FileManager.default.fileExists(atPath: other), "only temporaries of the file being written")
    }
}
