import _CBLAS

/// Row-major single-precision matrix product through OpenBLAS:
/// `C = alpha · op(A) · op(B) + beta · C`, with `op` transposing when asked.
///
/// `A` is `m×k` (or `k×m` when `transposeA`), `B` is `k×n` (or `n×k`), `C` is `m×n`, all
/// contiguous row-major. This is the one place the engine calls `cblas_sgemm`.
///
/// Large products are split into blocks of rows of `C` whose boundaries depend only on
/// `m`, `n` and `k` (see `sgemmRowBlock`), computed by single-threaded OpenBLAS calls on the
/// engine's threads. OpenBLAS's own threading was measured to change the last bits of the
/// result with its thread count, so it is never used (see Parallel.swift); this split gives
/// bit-identical results for any thread count.
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
    EngineThreads.pinBLASToOneThread()
    let rowsPerBlock = sgemmRowBlock(m: m, n: n, k: k)
    let blocks = (m + rowsPerBlock - 1) / rowsPerBlock
    let lda = transposeA ? m : k, ldb = transposeB ? k : n
    parallelFor(blocks) { block in
        let firstRow = block * rowsPerBlock
        let rows = min(rowsPerBlock, m - firstRow)
        // Rows of op(A) are rows of A, or columns of A when it is transposed.
        let aBlock = transposeA ? a + firstRow : a + firstRow * lda
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(rows), Int32(n), Int32(k), alpha,
                    aBlock, Int32(lda),
                    b, Int32(ldb),
                    beta, c + firstRow * n, Int32(n))
    }
}

/// Rows of `C` per block of a split `sgemm`: a multiple of 16 (OpenBLAS's register tile
/// height here), at least 128 rows so that repacking `B` per block stays cheap, and large
/// enough that a block is about 32 MFLOP. Depends only on the problem size, never on the
/// thread count.
@usableFromInline
func sgemmRowBlock(m: Int, n: Int, k: Int) -> Int {
    let flopsPerRow = max(1, 2 * n * k)
    let rows = (32_000_000 + flopsPerRow - 1) / flopsPerRow
    return max(128, (rows + 15) / 16 * 16)
}
