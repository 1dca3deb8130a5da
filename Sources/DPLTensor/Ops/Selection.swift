// MARK: - Selection
// Ops that pick between values elementwise. Each backward rule sends an element's gradient to
// exactly the operand whose value was picked, so no gradient is lost or counted twice.

extension Tensor {
    /// Every element limited to `[min, max]`.
    ///
    /// Backward: the gradient passes only where `min < x < max` strictly; at or beyond a bound
    /// the output is the constant bound, so the gradient there is 0.
    /// - Throws: `TensorError` when `min > max`.
    public func clamped(min lower: Float, max upper: Float) throws -> Tensor {
        guard lower <= upper else {
            throw TensorError("clamped", "the lower bound \(lower) exceeds the upper bound \(upper) for shape \(shapeString(shape))")
        }
        let input = detached()
        let result = mapScalars { x in x <= lower ? lower : (x >= upper ? upper : x) }
        return Tensor.record(result, op: "clamped", inputs: [self]) { g, _ in
            [g.zipScalars(input) { gv, x in x > lower && x < upper ? gv : 0 }]
        }
    }

    /// Every element limited to the elementwise bounds `[lower, upper]`, which broadcast to
    /// this tensor's shape (projecting onto an ε-ball intersected with [0, 1] takes
    /// `lower = max(x₀ − ε, 0)`, `upper = min(x₀ + ε, 1)`). Where `lower > upper` the result
    /// is `upper`.
    ///
    /// Backward: each element's gradient goes to the operand whose value was picked: `self`
    /// where `lower < x < upper`, `lower` where `x ≤ lower` (and `lower < upper`), `upper`
    /// elsewhere; bound gradients are summed back to the bounds' shapes.
    /// - Throws: `TensorError` with all three shapes when a bound does not broadcast to this
    ///   tensor's shape.
    public func clamped(lower: Tensor, upper: Tensor) throws -> Tensor {
        guard broadcastedShape(lower.shape, shape) == shape, broadcastedShape(upper.shape, shape) == shape else {
            throw TensorError("clamped", "bounds of shapes \(shapeString(lower.shape)) and \(shapeString(upper.shape)) do not broadcast to the clamped tensor's shape \(shapeString(shape))")
        }
        let low = try lower.expanded(to: shape), high = try upper.expanded(to: shape)
        let result = zipScalars(low, high) { x, l, u in Tensor.clampedSource(x, l, u).value }
        let (constX, constL, constU) = (detached(), low.detached(), high.detached())
        // `low`/`high` are recorded expansions, so their own backward sums to the bounds' shapes.
        return Tensor.record(result, op: "clampedElementwise", inputs: [self, low, high]) { g, needs in
            func routed(_ source: Int) -> Tensor {
                g.zipScalars(constX.zipScalars(constL, constU) { x, l, u in Float(Tensor.clampedSource(x, l, u).source) }) {
                    gv, s in s == Float(source) ? gv : 0
                }
            }
            return (0..<3).map { needs[$0] ? routed($0) : nil }
        }
    }

    /// The clamped value and which operand it came from (0 = x, 1 = lower, 2 = upper).
    @inline(__always)
    private static func clampedSource(_ x: Float, _ lower: Float, _ upper: Float) -> (value: Float, source: Int) {
        if x >= upper || lower >= upper { return (upper, 2) }
        if x <= lower { return (lower, 1) }
        return (x, 0)
    }

    /// −1, 0 or 1 elementwise (0 for ±0; NaN stays NaN). Not differentiable: the result is a
    /// constant, since the derivative is 0 wherever it exists (attacks use `sign` on
    /// gradients, which carry no graph anyway).
    public func sign() -> Tensor {
        mapScalars { x in x > 0 ? 1 : (x < 0 ? -1 : x) }
    }

    /// `a` where the condition holds and `b` elsewhere; `a` and `b` broadcast to a common
    /// shape, and `condition` has one entry per element of it (row-major).
    ///
    /// Backward: the gradient goes to `a` where the condition holds and to `b` elsewhere,
    /// each summed back to its operand's shape.
    /// - Throws: `TensorError` when `a` and `b` do not broadcast or the condition's length
    ///   differs from the result's element count.
    public static func `where`(_ condition: [Bool], _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try broadcastShape(a.shape, b.shape, op: "where")
        guard condition.count == shape.reduce(1, *) else {
            throw TensorError("where", "the condition has \(condition.count) entries but operands of shapes \(shapeString(a.shape)) and \(shapeString(b.shape)) give \(shape.reduce(1, *)) elements")
        }
        let mask = Tensor(uncheckedShape: shape, scalars: condition.map { $0 ? 1 : 0 })
        return try selecting(mask: mask, a, b)
    }

    /// `a` where `mask` is nonzero and `b` where it is zero; `mask`, `a` and `b` broadcast to a
    /// common shape. The mask is a constant (no gradient).
    ///
    /// Backward: as `where(_:_:_:)` with `[Bool]`.
    /// - Throws: `TensorError` with all three shapes when they do not broadcast together.
    public static func `where`(_ mask: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard let ab = broadcastedShape(a.shape, b.shape), let shape = broadcastedShape(mask.shape, ab) else {
            throw TensorError("where", "mask of shape \(shapeString(mask.shape)) and operands of shapes \(shapeString(a.shape)) and \(shapeString(b.shape)) cannot be broadcast together")
        }
        let flags = try mask.detached().expanded(to: shape).mapScalars { $0 != 0 ? 1 : 0 }
        return try selecting(mask: flags, a, b)
    }

    /// `a` where `mask` (already of the result's shape, values 0/1) is 1, else `b`.
    private static func selecting(mask: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let wideA = try a.expanded(to: mask.shape), wideB = try b.expanded(to: mask.shape)
        let result = mask.zipScalars(wideA, wideB) { m, x, y in m != 0 ? x : y }
        return record(result, op: "where", inputs: [wideA, wideB]) { g, needs in
            [needs[0] ? g.zipScalars(mask) { gv, m in m != 0 ? gv : 0 } : nil,
             needs[1] ? g.zipScalars(mask) { gv, m in m != 0 ? 0 : gv } : nil]
        }
    }
}

// MARK: - Absolute value

/// `|x|` elementwise (a free function overloading `Swift.abs`, see Elementwise.swift).
/// Backward: `sign(x)·G`, taking 0 at `x = 0`.
public func abs(_ x: Tensor) -> Tensor {
    let input = x.detached()
    return Tensor.record(x.mapScalars { Swift.abs($0) }, op: "abs", inputs: [x]) { g, _ in
        [g.zipScalars(input) { gv, v in v > 0 ? gv : (v < 0 ? -gv : 0) }]
    }
}
