// MARK: - Vectorized exponential and logistic
//
// SiLU and its backward call e^x once per element of every U-Net activation; through libm's
// `expf` (one call per element, no vectorization) that was ~19% of a unet-tiny forward pass.
// These versions work on eight lanes at once with plain float arithmetic that LLVM keeps in
// vector registers: no libm call, no branch per element.
//
// Every element goes through the same lane arithmetic whatever its position (a tail shorter
// than eight is padded into a full vector), so a value's result never depends on where it
// sits in a buffer, on the batch around it, or on the thread count.

/// e^x on eight lanes, within 2 ulp of `expf` for normal results (Cephes' `expf` scheme):
/// x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, then 2ⁿ applied as two
/// exactly representable powers of two 2^⌊n/2⌋·2^(n−⌊n/2⌋), so that the whole float range
/// works: results overflow to +∞ above ~88.72 and round into the denormals and to 0 below
/// ~−87.34, as `expf` does. NaN stays NaN.
@inline(__always)
func vectorExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let log2e: Float = 1.44269504088896341
    // Past these limits the result is ∞ or 0 anyway; clamping keeps n a small integer.
    // (Comparisons and `replace` rather than the generic `clamped`, which does not vectorize.)
    var clamped = x
    clamped.replace(with: -104, where: x .< -104)
    clamped.replace(with: 89, where: x .> 89)
    // Round-to-nearest of x·log2(e) by adding 1.5·2²³: the sum's low mantissa bits then hold
    // n as an integer, read by reinterpreting the bits — no libm call and no float-to-int
    // conversion (whose generic SIMD form is a scalar loop).
    let shifter: Float = 12_582_912
    let shifted = clamped * log2e + shifter
    let n = shifted - shifter
    let exponent = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    // r = x − n·ln2 in two steps (ln2 split into an exactly representable high part and a
    // correction), so the reduction loses no bits.
    var r = clamped - n * 0.693359375
    r = r - n * -2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let er = (p * (r * r) + r) + 1
    let half = exponent &>> 1
    let firstScale = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let secondScale = unsafeBitCast((exponent &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
    var result = (er * firstScale) * secondScale
    result.replace(with: x, where: x .!= x)
    return result
}

/// The logistic function 1/(1 + e⁻ˣ) on eight lanes, evaluated with e^(−|x|) ≤ 1 so that it
/// never overflows: σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0.
@inline(__always)
func vectorLogistic(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let e = vectorExp(-abs(x))
    var numerator = SIMD8<Float>(repeating: 1)
    numerator.replace(with: e, where: x .< 0)
    return numerator / (1 + e)
}

/// |x| lane-wise by clearing the sign bits.
@inline(__always)
private func abs(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let magnitude = unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF
    return unsafeBitCast(magnitude, to: SIMD8<Float>.self)
}

// MARK: - Vector maps over buffers

/// Elements per parallel chunk of a vector map: large enough to be worth a worker, fixed so
/// that the chunks do not depend on the thread count (results never do anyway: every element
/// is computed alone).
private let vectorMapChunk = 1 << 16

/// Loads eight floats from `p`, or the first `count` of them padded with zeros.
@inline(__always)
func load8(_ p: UnsafePointer<Float>, count: Int) -> SIMD8<Float> {
    if count >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    var v = SIMD8<Float>()
    for i in 0..<count { v[i] = p[i] }
    return v
}

/// Stores the first `min(count, 8)` lanes of `v` at `p`.
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 8 {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
        return
    }
    for i in 0..<count { p[i] = v[i] }
}

/// `out[i] = f(x[i])` eight lanes at a time, in fixed chunks on the engine's workers.
@inline(__always)
func vectorMap(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int,
               _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    let chunks = (count + vectorMapChunk - 1) / vectorMapChunk
    parallelFor(chunks) { chunk in
        let end = min(count, (chunk + 1) * vectorMapChunk)
        var i = chunk * vectorMapChunk
        while i < end {
            store8(f(load8(x + i, count: end - i)), out + i, count: end - i)
            i += 8
        }
    }
}

/// `out[i] = f(x[i], y[i])` eight lanes at a time, in fixed chunks on the engine's workers.
@inline(__always)
func vectorZip(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
               count: Int, _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) {
    let chunks = (count + vectorMapChunk - 1) / vectorMapChunk
    parallelFor(chunks) { chunk in
        let end = min(count, (chunk + 1) * vectorMapChunk)
        var i = chunk * vectorMapChunk
        while i < end {
            store8(f(load8(x + i, count: end - i), load8(y + i, count: end - i)), out + i, count: end - i)
            i += 8
        }
    }
}

/// `kernel(start, length)` over the fixed chunks of `vectorMap`, on the engine's workers: the
/// same split for the C kernels (include/activations.h), which take a whole chunk per call.
@inline(__always)
func forEachVectorChunk(count: Int, _ kernel: (_ start: Int, _ length: Int) -> Void) {
    let chunks = (count + vectorMapChunk - 1) / vectorMapChunk
    parallelFor(chunks) { chunk in
        let start = chunk * vectorMapChunk
        kernel(start, min(count, start + vectorMapChunk) - start)
    }
}

extension Tensor {
    /// A tensor of this shape written by the C kernel `kernel(x, out, count)` over fixed chunks
    /// (no graph recorded).
    @inline(__always)
    func mapChunks(_ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        Tensor.uninitialized(shape: shape) { out in
            guard out.count > 0 else { return }
            withUnsafeScalars { x in
                let xp = x.baseAddress!, outp = out.baseAddress!
                forEachVectorChunk(count: x.count) { start, length in kernel(xp + start, outp + start, length) }
            }
        }
    }

    /// `kernel(self, other, out, count)` over fixed chunks for two tensors of the same shape
    /// (no graph recorded); the caller guarantees the shapes match.
    @inline(__always)
    func zipChunks(_ other: Tensor,
                   _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        Tensor.uninitialized(shape: shape) { out in
            guard out.count > 0 else { return }
            withUnsafeScalars { x in
                other.withUnsafeScalars { y in
                    let xp = x.baseAddress!, yp = y.baseAddress!, outp = out.baseAddress!
                    forEachVectorChunk(count: x.count) { start, length in
                        kernel(xp + start, yp + start, outp + start, length)
                    }
                }
            }
        }
    }

    /// A tensor of this shape with the lane-wise `f` applied to every element (no graph
    /// recorded).
    @inline(__always)
    func mapVectors(_ f: (SIMD8<Float>) -> SIMD8<Float>) -> Tensor {
        Tensor.uninitialized(shape: shape) { out in
            guard out.count > 0 else { return }
            withUnsafeScalars { x in vectorMap(x.baseAddress!, into: out.baseAddress!, count: x.count, f) }
        }
    }

    /// `f(self[i], other[i])` lane-wise for two tensors of the same shape (no graph
    /// recorded); the caller guarantees the shapes match.
    @inline(__always)
    func zipVectors(_ other: Tensor, _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) -> Tensor {
        Tensor.uninitialized(shape: shape) { out in
            guard out.count > 0 else { return }
            withUnsafeScalars { x in
                other.withUnsafeScalars { y in
                    vectorZip(x.baseAddress!, y.baseAddress!, into: out.baseAddress!, count: x.count, f)
                }
            }
        }
    }
}
