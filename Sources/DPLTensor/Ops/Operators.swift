// MARK: - Arithmetic operators
// `+ - * /` between tensors broadcast (NumPy rules) and throw on incompatible shapes, so
// `try a * b + c` reads like the math. Operators with a Float operand cannot fail and do not
// throw. Backward rules reuse the forward operators (backward runs with recording off) and
// sum each operand's gradient back down to its own shape.

extension Tensor {
    // MARK: Tensor ⊕ Tensor

    /// Elementwise sum with broadcasting. Backward: `dA = G`, `dB = G`, each summed to its shape.
    /// - Throws: `TensorError` with both shapes when they do not broadcast.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        let result = try broadcasting(a, b, op: "add", Addition.self)
        let (shapeA, shapeB) = (a.shape, b.shape)
        return record(result, op: "add", inputs: [a, b]) { g, needs in
            [needs[0] ? try g.reduced(toShape: shapeA) : nil,
             needs[1] ? try g.reduced(toShape: shapeB) : nil]
        }
    }

    /// Elementwise difference with broadcasting. Backward: `dA = G`, `dB = −G`.
    /// - Throws: `TensorError` with both shapes when they do not broadcast.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        let result = try broadcasting(a, b, op: "subtract", Subtraction.self)
        let (shapeA, shapeB) = (a.shape, b.shape)
        return record(result, op: "subtract", inputs: [a, b]) { g, needs in
            [needs[0] ? try g.reduced(toShape: shapeA) : nil,
             needs[1] ? -(try g.reduced(toShape: shapeB)) : nil]
        }
    }

    /// Elementwise product with broadcasting. Backward: `dA = G·B`, `dB = G·A`.
    /// - Throws: `TensorError` with both shapes when they do not broadcast.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        let result = try broadcasting(a, b, op: "multiply", Multiplication.self)
        let (constA, constB) = (a.detached(), b.detached())
        return record(result, op: "multiply", inputs: [a, b]) { g, needs in
            [needs[0] ? try (g * constB).reduced(toShape: constA.shape) : nil,
             needs[1] ? try (g * constA).reduced(toShape: constB.shape) : nil]
        }
    }

    /// Elementwise quotient with broadcasting (IEEE semantics: dividing by zero gives ±inf
    /// or NaN). Backward: `dA = G / B`, `dB = −G·A / B²`.
    /// - Throws: `TensorError` with both shapes when they do not broadcast.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        let result = try broadcasting(a, b, op: "divide", Division.self)
        let (constA, constB) = (a.detached(), b.detached())
        return record(result, op: "divide", inputs: [a, b]) { g, needs in
            let gOverB = try g / constB
            return [needs[0] ? try gOverB.reduced(toShape: constA.shape) : nil,
                    needs[1] ? -(try (gOverB * result).reduced(toShape: constB.shape)) : nil]
        }
    }

    // MARK: Tensor ⊕ Float

    /// Adds a scalar to every element. Backward: `dA = G`.
    public static func + (a: Tensor, s: Float) -> Tensor {
        record(a.mapScalars { $0 + s }, op: "addScalar", inputs: [a]) { g, _ in [g] }
    }

    /// Adds a scalar to every element. Backward: `dA = G`.
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }

    /// Subtracts a scalar from every element. Backward: `dA = G`.
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

    /// A scalar minus every element. Backward: `dA = −G`.
    public static func - (s: Float, a: Tensor) -> Tensor {
        record(a.mapScalars { s - $0 }, op: "scalarSubtract", inputs: [a]) { g, _ in [-g] }
    }

    /// Multiplies every element by a scalar. Backward: `dA = s·G`.
    public static func * (a: Tensor, s: Float) -> Tensor {
        record(a.mapScalars { $0 * s }, op: "multiplyScalar", inputs: [a]) { g, _ in [g * s] }
    }

    /// Multiplies every element by a scalar. Backward: `dA = s·G`.
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }

    /// Divides every element by a scalar. Backward: `dA = G / s`.
    public static func / (a: Tensor, s: Float) -> Tensor {
        record(a.mapScalars { $0 / s }, op: "divideScalar", inputs: [a]) { g, _ in [g / s] }
    }

    /// A scalar divided by every element. Backward: `dA = −G·s / A²`.
    public static func / (s: Float, a: Tensor) -> Tensor {
        let result = a.mapScalars { s / $0 }
        let constA = a.detached()
        return record(result, op: "scalarDivide", inputs: [a]) { g, _ in
            [g.zipScalars(result, constA) { gv, y, x in -gv * y / x }]
        }
    }

    // MARK: Negation

    /// Every element negated. Backward: `dA = −G`.
    public static prefix func - (a: Tensor) -> Tensor {
        record(a.mapScalars { -$0 }, op: "negate", inputs: [a]) { g, _ in [-g] }
    }
}
