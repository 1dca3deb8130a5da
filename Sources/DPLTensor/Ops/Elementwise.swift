import Foundation

// MARK: - Elementwise math
// Pointwise functions with their derivatives. Functions that share a name with a libm
// function (`exp`, `log`, `sqrt`, `pow`, and in other files `abs`, `tanh`) are free
// functions overloading it, as in Swift for TensorFlow: a `Tensor` *member* named `sqrt`
// would hide the Float `sqrt` inside every `Tensor` extension.
// Values outside a function's domain follow IEEE (log of a negative is NaN, of zero −inf)
// rather than throwing: checking every element would cost a pass, and NaNs are caught where
// results are reported.

/// `eˣ` elementwise. Backward: `G·eˣ` (reusing the output).
public func exp(_ x: Tensor) -> Tensor {
    let result = x.mapScalars { expf($0) }
    return Tensor.record(result, op: "exp", inputs: [x]) { g, _ in
        [g.zipScalars(result) { $0 * $1 }]
    }
}

/// The natural logarithm elementwise. Backward: `G / x`.
public func log(_ x: Tensor) -> Tensor {
    let input = x.detached()
    return Tensor.record(x.mapScalars { logf($0) }, op: "log", inputs: [x]) { g, _ in
        [g.zipScalars(input) { $0 / $1 }]
    }
}

/// The square root elementwise. Backward: `G / (2√x)`, which is infinite at 0.
public func sqrt(_ x: Tensor) -> Tensor {
    let result = x.mapScalars { sqrtf($0) }
    return Tensor.record(result, op: "sqrt", inputs: [x]) { g, _ in
        [g.zipScalars(result) { $0 / (2 * $1) }]
    }
}

extension Tensor {
    /// `x²` elementwise. Backward: `2x·G`.
    public func squared() -> Tensor {
        let input = detached()
        return Tensor.record(mapScalars { $0 * $0 }, op: "squared", inputs: [self]) { g, _ in
            [g.zipScalars(input) { 2 * $0 * $1 }]
        }
    }

    /// `1 / x` elementwise. Backward: `−G / x²` (as `−G·y²`).
    public func reciprocal() -> Tensor {
        let result = mapScalars { 1 / $0 }
        return Tensor.record(result, op: "reciprocal", inputs: [self]) { g, _ in
            [g.zipScalars(result) { -$0 * $1 * $1 }]
        }
    }

    // MARK: Elementwise extrema

    /// The larger of `a` and `b` elementwise, with broadcasting. Backward: the gradient goes to
    /// `a` where `a ≥ b` (ties to `a`) and to `b` elsewhere.
    /// - Throws: `TensorError` with both shapes when they do not broadcast.
    public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try selectingExtremum(a, b, op: "maximum", Maximum.self, picksA: PicksMaximumOperand.self)
    }

    /// The smaller of `a` and `b` elementwise, with broadcasting. Backward: the gradient goes
    /// to `a` where `a ≤ b` (ties to `a`) and to `b` elsewhere.
    /// - Throws: `TensorError` with both shapes when they do not broadcast.
    public static func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try selectingExtremum(a, b, op: "minimum", Minimum.self, picksA: PicksMinimumOperand.self)
    }

    /// `Choice` picks `a` or `b` elementwise; `PicksA` is 1 where it picked `a`, and routes
    /// the gradient the same way.
    private static func selectingExtremum<Choice: BinaryScalarOperation, PicksA: BinaryScalarOperation>(
        _ a: Tensor, _ b: Tensor, op: String, _ choice: Choice.Type, picksA picks: PicksA.Type
    ) throws -> Tensor {
        let result = try broadcasting(a, b, op: op, choice)
        let (constA, constB) = (a.detached(), b.detached())
        return record(result, op: op, inputs: [a, b]) { g, needs in
            let picksA = try broadcasting(constA, constB, op: op, picks)
            return [needs[0] ? try g.zipScalars(picksA) { gv, p in p != 0 ? gv : 0 }.reduced(toShape: constA.shape) : nil,
                    needs[1] ? try g.zipScalars(picksA) { gv, p in p != 0 ? 0 : gv }.reduced(toShape: constB.shape) : nil]
        }
    }
}

// MARK: - Powers

/// `xᵖ` elementwise for a constant exponent. Backward: `p·xᵖ⁻¹·G`.
public func pow(_ x: Tensor, _ p: Float) -> Tensor {
    let input = x.detached()
    let result = x.mapScalars { powf($0, p) }
    return Tensor.record(result, op: "pow", inputs: [x]) { g, _ in
        [g.zipScalars(input) { $0 * p * powf($1, p - 1) }]
    }
}
