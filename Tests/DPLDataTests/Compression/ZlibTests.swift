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

@Suite("inflate limits")
struct InflateLimitTests {
    /// 8 MiB of zeros, gzipped (about 8 KB).
    func gzippedZeros() throws -> [UInt8] { try deflateStream([UInt8](repeating: 0, count: 8 << 20), container: .gzip) }

    @Test("a prefix stops after the bytes asked for")
    func prefix() throws {
        let zeros = try gzippedZeros()
        #expect(try inflateStream(zeros, container: .gzip, path: "z.gz", limit: .prefix(100)) == [UInt8](repeating: 0, count: 100))
        #expect(try inflateStream(zeros, container: .gzip, path: "z.gz", limit: .prefix(16 << 20)).count == 8 << 20)
    }

    @Test("at most N bytes fails past N, naming the file and the reason")
    func atMost() throws {
        let zeros = try gzippedZeros()
        let error = dataError { _ = try inflateStream(zeros, container: .gzip, path: "z.gz", limit: .atMost(1 << 20, reason: "the test's bound")) }
        #expect(describes(error, path: "z.gz", "gzip stream decompresses to more than 1048576 bytes, the test's bound"))
        #expect(try inflateStream(zeros, container: .gzip, path: "z.gz", limit: .atMost(8 << 20, reason: "")).count == 8 << 20)
    }

    @Test("a gzipped file read whole obeys the decompressed-size limit")
    func possiblyGzipped() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("zeros.gz", try gzippedZeros())
        let error = dataError { _ = try readPossiblyGzipped(path, limits: DecodeLimits(maximumDecompressedBytes: 4096)) }
        #expect(describes(error, path: path, "more than 4096 bytes", "DecodeLimits.maximumDecompressedBytes"))
    }
}
