import Testing
@testable import DPLData

@Suite("PNGDecoder")
struct PNGDecoderTests {
    // MARK: - Filters, against values worked out by hand

    @Test("Sub and Up filters")
    func subAndUp() throws {
        // Row 0: Sub [10, 5, 5] → 10, 15, 20. Row 1: Up [1, 1, 1] → 11, 16, 21.
        let file = pngFile(width: 3, height: 2, colorType: 0, bitDepth: 8, imageData: [1, 10, 5, 5, 2, 1, 1, 1])
        let image = try PNGDecoder.decode(file, path: "f.png")
        #expect(image.pixels == [10, 15, 20, 11, 16, 21].map { Float($0) / 255 })
    }

    @Test("Average and Paeth filters")
    func averageAndPaeth() throws {
        // Row 0: Average [10, 6, 6] → 10, 6 + 10/2 = 11, 6 + 11/2 = 11.
        // Row 1: Paeth [2, 3, 0] above [10, 11, 11] → 2 + 10 = 12, 3 + 12 = 15, 0 + 15 = 15.
        let file = pngFile(width: 3, height: 2, colorType: 0, bitDepth: 8, imageData: [3, 10, 6, 6, 4, 2, 3, 0])
        let image = try PNGDecoder.decode(file, path: "f.png")
        #expect(image.pixels == [10, 11, 11, 12, 15, 15].map { Float($0) / 255 })
    }

    // MARK: - Colour types and bit depths

    @Test("gray at bit depths 1, 2, 4, 8 and 16")
    func grayDepths() throws {
        for depth in [1, 2, 4, 8, 16] {
            let maxValue = UInt32((1 << depth) - 1)
            let samples = (0..<(5 * 3)).map { UInt32($0 * 7) % (maxValue + 1) }
            let file = pngFixture(width: 5, height: 3, colorType: 0, bitDepth: depth, samples: samples, samplesPerPixel: 1)
            let image = try PNGDecoder.decode(file, path: "g.png")
            #expect(image.channels == 1 && image.width == 5 && image.height == 3)
            #expect(image.pixels == samples.map { Float($0) / Float(maxValue) }, "bit depth \(depth)")
        }
    }

    @Test("alpha is dropped: gray+alpha gives 1 channel, RGBA 3, at 8 and 16 bits")
    func alphaDropped() throws {
        for depth in [8, 16] {
            let maxValue = Float((1 << depth) - 1)
            let grayAlpha: [UInt32] = [0, 9, 100, 9, 200, 9, 255, 9]
            let gray = try PNGDecoder.decode(pngFixture(width: 2, height: 2, colorType: 4, bitDepth: depth, samples: grayAlpha, samplesPerPixel: 2), path: "ga.png")
            #expect(gray.channels == 1)
            #expect(gray.pixels == [0, 100, 200, 255].map { Float($0) / maxValue })

            let rgba: [UInt32] = [1, 2, 3, 0, 4, 5, 6, 0]
            let colour = try PNGDecoder.decode(pngFixture(width: 2, height: 1, colorType: 6, bitDepth: depth, samples: rgba, samplesPerPixel: 4), path: "c.png")
            #expect(colour.channels == 3)
            #expect(colour.pixels == [1, 4, 2, 5, 3, 6].map { Float($0) / maxValue })
        }
    }

    @Test("RGB is returned channel-major")
    func rgb() throws {
        let file = pngFixture(width: 2, height: 1, colorType: 2, bitDepth: 8, samples: [255, 0, 51, 0, 102, 255], samplesPerPixel: 3)
        let image = try PNGDecoder.decode(file, path: "rgb.png")
        #expect(image.tensor.shape == [3, 1, 2])
        #expect(image.pixels == [1, 0, 0, 0.4, 0.2, 1])
    }

    @Test("palette images expand to RGB at bit depths 1, 2, 4 and 8")
    func palette() throws {
        let palette: [UInt8] = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]
        for depth in [1, 2, 4, 8] {
            let entries = min(4, 1 << depth)
            let indices = (0..<6).map { UInt32($0 % entries) }
            let file = pngFixture(width: 3, height: 2, colorType: 3, bitDepth: depth, samples: indices,
                                  samplesPerPixel: 1, palette: Array(palette.prefix(3 * entries)))
            let image = try PNGDecoder.decode(file, path: "p.png")
            #expect(image.channels == 3)
            for (pixel, index) in indices.enumerated() {
                for channel in 0..<3 {
                    #expect(image.pixels[channel * 6 + pixel] == Float(palette[3 * Int(index) + channel]) / 255)
                }
            }
        }
    }

    @Test("Adam7 interlaced images decode like their non-interlaced twins")
    func adam7() throws {
        for (width, height) in [(1, 1), (3, 2), (8, 8), (13, 11)] {
            for (colorType, depth, perPixel) in [(UInt8(0), 8, 1), (0, 1, 1), (2, 16, 3), (6, 8, 4)] {
                let maxValue = UInt32((1 << depth) - 1)
                let samples = patternBytes(width * height * perPixel, seed: UInt32(width)).map { UInt32($0) * 257 % (maxValue + 1) }
                let plain = try PNGDecoder.decode(pngFixture(width: width, height: height, colorType: colorType, bitDepth: depth, samples: samples, samplesPerPixel: perPixel), path: "p.png")
                let interlaced = try PNGDecoder.decode(pngFixture(width: width, height: height, colorType: colorType, bitDepth: depth, samples: samples, samplesPerPixel: perPixel, interlaced: true), path: "i.png")
                #expect(plain == interlaced || plain.pixels == interlaced.pixels, "\(width)×\(height) type \(colorType) depth \(depth)")
            }
        }
    }

    // MARK: - Broken files

    let good = pngFixture(width: 4, height: 4, colorType: 0, bitDepth: 8, samples: (0..<16).map { UInt32($0) }, samplesPerPixel: 1)

    @Test("a missing signature is reported")
    func badSignature() {
        var file = good
        file[1] = 0x51
        #expect(describes(dataError { _ = try PNGDecoder.decode(file, path: "s.png") }, path: "s.png", "not a PNG", "signature"))
    }

    @Test("a bad CRC names the chunk and its offset")
    func badCRC() {
        var file = good
        file[20] ^= 1  // inside the IHDR data
        #expect(describes(dataError { _ = try PNGDecoder.decode(file, path: "c.png") }, path: "c.png", "IHDR", "byte offset 8", "bad CRC"))
    }

    @Test("a truncated file is reported")
    func truncated() {
        for cut in [20, good.count - 30, good.count - 5] {
            let error = dataError { _ = try PNGDecoder.decode(Array(good.prefix(cut)), path: "t.png") }
            #expect(describes(error, path: "t.png", "truncated"), "cut at \(cut)")
        }
    }

    @Test("corrupt compressed data is reported")
    func corruptDeflate() {
        // Replace the IDAT payload with bytes that are not a valid zlib stream, with a good CRC.
        var file = pngSignature
        let header = Array(good[16..<29])
        appendPNGChunk("IHDR", header, to: &file)
        appendPNGChunk("IDAT", [0x78, 0x9c, 0xff, 0xff, 0xff, 0xff], to: &file)
        appendPNGChunk("IEND", [], to: &file)
        #expect(describes(dataError { _ = try PNGDecoder.decode(file, path: "z.png") }, path: "z.png", "corrupt"))
    }

    @Test("too little image data, a bad filter type and a bad palette index are reported")
    func badImageData() {
        let short = pngFile(width: 3, height: 2, colorType: 0, bitDepth: 8, imageData: [0, 1, 2, 3])
        #expect(describes(dataError { _ = try PNGDecoder.decode(short, path: "d.png") }, path: "d.png", "truncated", "needs 8 bytes"))
        let badFilter = pngFile(width: 1, height: 1, colorType: 0, bitDepth: 8, imageData: [5, 0])
        #expect(describes(dataError { _ = try PNGDecoder.decode(badFilter, path: "f.png") }, path: "f.png", "filter type 5"))
        let badIndex = pngFile(width: 1, height: 1, colorType: 3, bitDepth: 8, palette: [1, 2, 3], imageData: [0, 4])
        #expect(describes(dataError { _ = try PNGDecoder.decode(badIndex, path: "i.png") }, path: "i.png", "palette index 4", "1 entries"))
        let badDepth = pngFile(width: 1, height: 1, colorType: 2, bitDepth: 4, imageData: [0, 0])
        #expect(describes(dataError { _ = try PNGDecoder.decode(badDepth, path: "b.png") }, path: "b.png", "bit depth 4"))
    }
}

/// Decompression bombs (issue 17): a 261 KB PNG reached 2.1 GB. The image's size is checked
/// against a configurable limit from its header, and only the bytes it needs are inflated.
@Suite("PNG decompression limits")
struct PNGLimitTests {
    @Test("an image beyond the sample limit is refused from its header")
    func headerBeyondTheLimit() throws {
        // 16384 × 16384 RGB: 805 million samples (3.2 GB as floats), with one row of data.
        let file = pngFile(width: 16384, height: 16384, colorType: 2, bitDepth: 8, imageData: [UInt8](repeating: 0, count: 1 + 3 * 16384))
        let error = dataError { _ = try PNGDecoder.decode(file, path: "bomb.png") }
        #expect(describes(error, path: "bomb.png", "16384×16384 image with 3 channels", "more than the 67108864 samples",
                          "DecodeLimits.maximumImageSamples"))
        let small = pngFixture(width: 40, height: 40, colorType: 0, bitDepth: 8, samples: (0..<1600).map { UInt32($0 % 256) }, samplesPerPixel: 1)
        #expect(describes(dataError { _ = try PNGDecoder.decode(small, path: "s.png", limits: DecodeLimits(maximumImageSamples: 1000)) },
                          path: "s.png", "more than the 1000 samples"))
        #expect(try PNGDecoder.decode(small, path: "s.png").width == 40)
    }

    @Test("image data beyond what the header needs is not decompressed")
    func extraDataIsNotInflated() throws {
        // A 4×4 gray image followed by 64 MB of zeros in the same zlib stream.
        let rows: [UInt8] = (0..<4).flatMap { (y: Int) -> [UInt8] in [0] + (0..<4).map { UInt8(y * 4 + $0) } }
        let file = pngFile(width: 4, height: 4, colorType: 0, bitDepth: 8, imageData: rows + [UInt8](repeating: 0, count: 64 << 20))
        let image = try PNGDecoder.decode(file, path: "padded.png")
        #expect(image.pixels == (0..<16).map { Float($0) / 255 })
    }
}
