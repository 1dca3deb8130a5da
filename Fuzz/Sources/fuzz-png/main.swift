import DPLData
import FuzzSupport

// Arbitrary bytes as a PNG: signature, chunks and CRCs, IHDR, palette, zlib data, filters,
// bit depths and interlacing. Sizes in the header are checked before inflating; a fuzz run
// uses a small sample limit so large-but-legal images do not slow it down.
let limits = DecodeLimits(maximumImageSamples: 1 << 20, maximumDecompressedBytes: 1 << 24)

runFuzzer { bytes, count in
    _ = try? PNGDecoder.decode(fuzzBytes(bytes, count), path: "fuzz.png", limits: limits)
    return 0
}
