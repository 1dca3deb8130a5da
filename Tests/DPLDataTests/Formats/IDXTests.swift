import Testing
@testable import DPLData

@Suite("IDX")
struct IDXTests {
    @Test("images are read as [N, 1, H, W] in [0, 1], gzipped or not")
    func images() throws {
        let folder = try TemporaryFolder()
        let payload: [UInt8] = [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8]
        let bytes = idxBytes(magic: 0x803, dimensions: [3, 2, 2], payload: payload)
        for path in [try folder.write("a", bytes), try folder.write("b.gz", deflateStream(bytes, container: .gzip))] {
            let images = try IDX.readImages(path)
            #expect(images.shape == [3, 1, 2, 2])
            #expect(images.scalars == payload.map { Float($0) / 255 })
        }
    }

    @Test("bytes in memory decode as the file does, gzipped or not, and errors name the given path")
    func bytesInMemory() throws {
        let images = idxBytes(magic: 0x803, dimensions: [2, 1, 2], payload: [0, 255, 51, 102])
        let labels = idxBytes(magic: 0x801, dimensions: [3], payload: [0, 9, 4])
        for (imageBytes, labelBytes) in [(images, labels), (try deflateStream(images, container: .gzip), try deflateStream(labels, container: .gzip))] {
            let decoded = try IDX.decodeImages(imageBytes, path: "mem")
            #expect(decoded.shape == [2, 1, 1, 2])
            #expect(decoded.scalars == [0, 255, 51, 102].map { Float($0) / 255 })
            #expect(try IDX.decodeLabels(labelBytes, path: "mem", classCount: 10) == [0, 9, 4])
        }
        #expect(describes(dataError { _ = try IDX.decodeImages(labels, path: "in-memory") }, path: "in-memory", "magic", "0x00000801"))
    }

    @Test("a wrong magic number is reported with its offset")
    func badMagic() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("labels-as-images", idxBytes(magic: 0x801, dimensions: [2], payload: [0, 1]))
        #expect(describes(dataError { _ = try IDX.readImages(path) }, path: path, "magic", "byte offset 0", "0x00000801", "0x00000803"))
    }

    @Test("dimensions that disagree with the file size are reported")
    func sizeMismatch() throws {
        let folder = try TemporaryFolder()
        let short = try folder.write("short", idxBytes(magic: 0x803, dimensions: [2, 2, 2], payload: [1, 2, 3]))
        #expect(describes(dataError { _ = try IDX.readImages(short) }, path: short, "truncated", "2 × 2 × 2", "should have 24 bytes", "has 19"))
        let long = try folder.write("long", idxBytes(magic: 0x801, dimensions: [1], payload: [1, 2]))
        #expect(describes(dataError { _ = try IDX.readLabels(long, classCount: 10) }, path: long, "trailing data"))
        let header = try folder.write("header", [0, 0, 8, 3, 0, 0])
        #expect(describes(dataError { _ = try IDX.readImages(header) }, path: header, "header is truncated"))
    }

    @Test("a label out of range is reported with its byte offset")
    func labelRange() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("labels", idxBytes(magic: 0x801, dimensions: [3], payload: [0, 9, 10]))
        #expect(describes(dataError { _ = try IDX.readLabels(path, classCount: 10) }, path: path, "label 10", "byte offset 10", "0...9"))
        #expect(try IDX.readLabels(path, classCount: 11) == [0, 9, 10])
    }

    @Test("a truncated gzip file is reported as truncated")
    func truncatedGzip() throws {
        let folder = try TemporaryFolder()
        let packed = try deflateStream(idxBytes(magic: 0x803, dimensions: [10, 8, 8], payload: patternBytes(640)), container: .gzip)
        let path = try folder.write("images.gz", Array(packed.prefix(packed.count - 20)))
        #expect(describes(dataError { _ = try IDX.readImages(path) }, path: path, "truncated"))
    }
}

/// Decompression bombs (issue 17): IDX's magic was checked only after the whole `.gz` was
/// inflated, so an 8 MB file could ask for more than 8 GB. The header is read first now.
@Suite("IDX decompression limits")
struct IDXLimitTests {
    @Test("a header declaring more than the limit is refused before inflating the data")
    func headerBeyondTheLimit() throws {
        let folder = try TemporaryFolder()
        // 8000 × 1000 × 1000 bytes = 8 GB declared; the body is 1 MB of zeros (about 1 KB packed).
        let bytes = idxBytes(magic: 0x803, dimensions: [8000, 1000, 1000], payload: [UInt8](repeating: 0, count: 1 << 20))
        let path = try folder.write("bomb.gz", try deflateStream(bytes, container: .gzip))
        let error = dataError { _ = try IDX.readImages(path) }
        #expect(describes(error, path: path, "declares 8000 × 1000 × 1000 image bytes", "more than the 2147483648 bytes",
                          "DecodeLimits.maximumDecompressedBytes", "decompression bomb"))
        let small = DecodeLimits(maximumDecompressedBytes: 500)
        let fits = try folder.write("fits.gz", try deflateStream(idxBytes(magic: 0x803, dimensions: [10, 8, 8], payload: patternBytes(640)), container: .gzip))
        #expect(describes(dataError { _ = try IDX.readImages(fits, limits: small) }, path: fits, "more than the 500 bytes"))
        #expect(try IDX.readImages(fits).shape == [10, 1, 8, 8])
    }

    @Test("a wrong magic number in a gzipped file is found from its first bytes")
    func magicFirst() throws {
        let folder = try TemporaryFolder()
        let bytes = [0x50, 0x4b, 3, 4] + [UInt8](repeating: 0, count: 4 << 20)
        let path = try folder.write("notidx.gz", try deflateStream(bytes, container: .gzip))
        #expect(describes(dataError { _ = try IDX.readImages(path) }, path: path, "magic", "0x504b0304"))
    }

    @Test("a stream longer than its header says stops one byte past it")
    func trailingDataStopsEarly() throws {
        let folder = try TemporaryFolder()
        let bytes = idxBytes(magic: 0x801, dimensions: [4], payload: [UInt8](repeating: 1, count: 64 << 20))
        let path = try folder.write("labels.gz", try deflateStream(bytes, container: .gzip))
        #expect(describes(dataError { _ = try IDX.readLabels(path, classCount: 10) }, path: path, "trailing data", "should have 12 bytes"))
    }
}
