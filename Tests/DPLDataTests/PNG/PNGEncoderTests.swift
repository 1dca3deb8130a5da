import Testing
import DPLTensor
@testable import DPLData

@Suite("PNGEncoder")
struct PNGEncoderTests {
    /// A smooth image with noise, so different rows prefer different filters.
    func image(channels: Int, height: Int, width: Int) throws -> Tensor {
        let noise = patternBytes(channels * height * width, seed: 7)
        let scalars = (0..<(channels * height * width)).map { index -> Float in
            let x = index % width, y = (index / width) % height
            return Float((x * 3 + y * 5) % 256) / 255 * 0.8 + Float(noise[index] % 16) / 255
        }
        return try Tensor(shape: [channels, height, width], scalars: scalars)
    }

    @Test("encode then decode gives the 8-bit quantized image back")
    func roundTrip() throws {
        for channels in [1, 3] {
            let original = try image(channels: channels, height: 17, width: 23)
            let quantized = original.scalars.map { (($0 * 255).rounded()) / 255 }
            for strategy in [PNGFilterStrategy.none, .adaptive] {
                let decoded = try PNGDecoder.decode(PNGEncoder.encode(original, filter: strategy), path: "r.png")
                #expect(decoded.channels == channels && decoded.height == 17 && decoded.width == 23)
                #expect(decoded.pixels == quantized)
            }
        }
    }

    @Test("adaptive filtering uses several filter types")
    func adaptiveFilters() throws {
        let file = try PNGEncoder.encode(image(channels: 3, height: 32, width: 32), filter: .adaptive)
        let chunks = try readPNGChunks(file, path: "a.png")
        let data = try inflateStream(chunks.filter { $0.type == "IDAT" }.flatMap { $0.data }, container: .zlib, path: "a.png")
        let filterTypes = Set(stride(from: 0, to: data.count, by: 1 + 3 * 32).map { data[$0] })
        #expect(filterTypes.count >= 2)
    }

    @Test("values are clamped to [0, 1]; NaN becomes 0")
    func clamping() throws {
        let tensor = try Tensor(shape: [1, 1, 4], scalars: [-1, 2, .nan, 0.5])
        let decoded = try PNGDecoder.decode(PNGEncoder.encode(tensor), path: "c.png")
        #expect(decoded.pixels == [0, 1, 0, 128 / 255])
    }

    @Test("shapes other than [1 or 3, H, W] are rejected")
    func badShape() {
        #expect(dataError { _ = try PNGEncoder.encode(Tensor.zeros([2, 4, 4])) }?.description.contains("[2, 4, 4]") == true)
        #expect(dataError { _ = try PNGEncoder.encode(Tensor.zeros([4, 4])) } != nil)
    }

    @Test("write is atomic and readable")
    func write() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("img.png")
        let original = try image(channels: 1, height: 5, width: 6)
        try PNGEncoder.write(original, to: path)
        #expect(try PNGDecoder.read(path).pixels == original.scalars.map { ($0 * 255).rounded() / 255 })
    }
}
