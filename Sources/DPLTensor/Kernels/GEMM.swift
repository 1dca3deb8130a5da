import _CBLAS

/// Row-major single-precision matrix product through OpenBLAS:
/// `C = alpha · op(A) · op(B) + beta · C`, with `op` transposing when asked.
///
/// `A` is `m×k` (or `k×m` when `transposeA`), `B` is `k×n` (or `n×k`), `C` is `m×n`, all
/// contiguous row-major. This is the one place the engine calls `cblas_sgemm`.
@inlinable
public func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    beta: Float = 0, c: UnsafeMutablePointer<Float>
) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
        // BLAS leaves C untouched only for beta == 1; honour beta for an empty inner dimension.
        if beta == 0 { c.update(repeating: 0, count: m * n) } else if beta != 1 {
            for i in 0..<(m * n) { c[i] *= beta }
        }
        return
    }
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(transposeA ? m : k),
                b, Int32(transposeB ? k : n),
                beta, c, Int32(n))
}
