import DPLTensor

// Shared by the AVX-512 kernel tests: run the same engine call on the portable path and on
// the wide one in one process, and compare results bit for bit.

/// Whether this CPU runs the AVX-512 kernels (the comparisons are meaningless without them:
/// both runs would take the portable path).
let wideKernelsAvailable = VectorISA.detected == .avx512

/// The bit patterns of every scalar of `tensors`, one array per tensor.
func bitPatterns(_ tensors: [Tensor]) -> [[UInt32]] {
    tensors.map { $0.scalars.map(\.bitPattern) }
}

/// `patterns` with every NaN replaced by the one quiet NaN: the sign of a NaN made from two
/// NaNs (v·σ(v) with v NaN) is whichever operand the compiler put first, and the portable path
/// itself gives either sign depending on whether an element sits in a vector body or the
/// tail, so only "NaN or not" is a property of the arithmetic.
func withCanonicalNaNs(_ patterns: [[UInt32]]) -> [[UInt32]] {
    patterns.map { $0.map { Float(bitPattern: $0).isNaN ? Float.nan.bitPattern : $0 } }
}

/// `body` run on the portable path and on the AVX-512 path, as bit patterns.
func onBothVectorPaths(_ body: () throws -> [Tensor]) rethrows -> (portable: [[UInt32]], wide: [[UInt32]]) {
    let portable = try VectorISA.with(.portable) { try bitPatterns(body()) }
    let wide = try VectorISA.with(.avx512) { try bitPatterns(body()) }
    return (portable, wide)
}

/// Lengths that put every remainder 0…15 of a 16-lane step (and of an 8-lane step) in the
/// tail, plus the shapes the U-Net uses and a length past one parallel chunk (65 536).
let tailCoveringLengths: [Int] = [1, 7, 8, 15, 16, 17, 31, 49, 784] + (0..<16).map { 48 + $0 } + [65_536 + 13]

/// Values where the exponential and the logistic take their edge paths: zeros of both signs,
/// the clamps (−104, 89), the overflow and underflow points, huge, tiny and denormal values,
/// infinities and NaN.
let edgeValues: [Float] = [
    0, -0.0, 1, -1, 1e-8, -1e-8, 88.72, 88.73, 89, 90, -87.33, -87.35, -103.9, -104, -105,
    -200, 200, 3e38, -3e38, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
    1e-40, -1e-40, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
    .infinity, -.infinity, .nan, -.nan, 16.5, -16.5,
]
