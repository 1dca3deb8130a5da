import DPLData
import FuzzSupport

// Arbitrary bytes as an IDX file (MNIST's format), plain or gzipped, read both as images and
// as labels. The header is read and checked before the declared size is inflated.
let limits = DecodeLimits(maximumImageSamples: 1 << 20, maximumDecompressedBytes: 1 << 24)

runFuzzer { bytes, count in
    let raw = fuzzBytes(bytes, count)
    _ = try? IDX.decodeImages(raw, path: "fuzz-idx3-ubyte", limits: limits)
    _ = try? IDX.decodeLabels(raw, path: "fuzz-idx1-ubyte", classCount: 10, limits: limits)
    return 0
}
