// MARK: - Reductions
// Summation order is fixed (sequential per output element, in index order) so results are
// bit-identical for any thread count.

extension Tensor {
    /// The sum of all elements, as a scalar tensor. Backward: the gradient broadcast to every element.
    public func sum() -> Tensor {
        var total: Float = 0
        withUnsafeScalars { p in for v in p { total += v } }
        let inputShape = shape
        return Tensor.record(Tensor(total), op: "sum", inputs: [self]) { g, _ in
            [Tensor(repeating: g.scalars[0], shape: inputShape)]
        }
    }
}
