import Testing
@testable import DPLData

@Suite("Zlib")
struct ZlibTests {
    @Test("zlib and gzip round trip, also larger than one output chunk")
    func roundTrip() throws {
        let data = patternBytes(300_000).map { $0 & 0x0f }
        for container in [DeflateContainer.zlib, .gzip] {
            let packed = try deflateStream(data, container: container)
            #expect(packed.count < data.count)
            #expect(try inflateStream(packed, container: container, path: "x") == data)
        }
    }

    @Test("concatenated gzip members decode to the concatenation")
    func gzipMembers() throws {
        let first = try deflateStream([1, 2, 3], container: .gzip)
        let second = try deflateStream([4, 5], container: .gzip)
        #expect(try inflateStream(first + second, container: .gzip, path: "x") == [1, 2, 3, 4, 5])
    }

    @Test("a truncated stream is reported as truncated, naming the file")
    func truncated() throws {
        let packed = try deflateStream(patternBytes(5000), container: .gzip)
        let error = dataError { _ = try inflateStream(Array(packed.prefix(packed.count / 2)), container: .gzip, path: "/data/a.gz") }
        #expect(describes(error, path: "/data/a.gz", "truncated"))
    }

    @Test("a corrupt stream is reported as corrupt, naming the file")
    func corrupt() throws {
        var packed = try deflateStream(patternBytes(5000).map { $0 & 3 }, container: .zlib)
        for index in 2..<min(40, packed.count) { packed[index] ^= 0xff }
        let error = dataError { _ = try inflateStream(packed, container: .zlib, path: "/data/b.png") }
        #expect(describes(error, path: "/data/b.png", "corrupt"))
    }

    @Test("trailing garbage after the stream is an error")
    func trailingData() throws {
        let packed = try deflateStream([1, 2, 3], container: .zlib)
        #expect(describes(dataError { _ = try inflateStream(packed + [9, 9], container: .zlib, path: "f") }, path: "f", "unexpected data"))
    }

    @Test("CRC-32 matches the standard check value")
    func crc() {
        #expect(crc32Checksum(Array("123456789".utf8)) == 0xcbf4_3926)
    }
}
