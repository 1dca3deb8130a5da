// MARK: - Matrix product

extension Tensor {
    /// The matrix product of two rank-2 tensors: `[m, k] · [k, n] → [m, n]`.
    ///
    /// Backward: `dA = dC · Bᵀ`, `dB = Aᵀ · dC`.
    /// - Throws: `TensorError` when either operand is not rank 2 or the inner extents differ.
    public func matmul(_ other: Tensor) throws -> Tensor {
        try Tensor.matmul(self, other, transposeA: false, transposeB: false)
    }

    /// `op(a) · op(b)` for rank-2 tensors, where `op` transposes when asked. Linear layers use
    /// `transposeB` to multiply by PyTorch-layout `[out, in]` weights without copying them.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) throws -> Tensor {
        guard a.rank == 2, b.rank == 2 else {
            throw TensorError("matmul", "operands must be rank 2 but have shapes \(shapeString(a.shape)) and \(shapeString(b.shape))")
        }
        let (m, ka) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard ka == kb else {
            let left = transposeA ? "\(shapeString(a.shape))ᵀ" : shapeString(a.shape)
            let right = transposeB ? "\(shapeString(b.shape))ᵀ" : shapeString(b.shape)
            throw TensorError("matmul", "inner dimensions differ: \(left) and \(right)")
        }
        FlopCounter.record(multiplyAdds: m * n * ka)
        let result = Tensor.uninitialized(shape: [m, n]) { c in
            a.withUnsafeScalars { pa in
                b.withUnsafeScalars { pb in
                    sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: ka,
                          a: pa.baseAddress!, b: pb.baseAddress!, c: c.baseAddress!)
                }
            }
        }
        return record(result, op: "matmul", inputs: [a, b]) { g, needs in
            // With C = op(A)·op(B): d op(A) = G·op(B)ᵀ and d op(B) = op(A)ᵀ·G, transposed back.
            let da: Tensor? = needs[0]
                ? (transposeA ? try matmul(b, g, transposeA: transposeB, transposeB: true)
                              : try matmul(g, b, transposeA: false, transposeB: !transposeB))
                : nil
            let db: Tensor? = needs[1]
                ? (transposeB ? try matmul(g, a, transposeA: true, transposeB: transposeA)
                              : try matmul(a, g, transposeA: !transposeA, transposeB: false))
                : nil
            return [da, db]
        }
    }
}
