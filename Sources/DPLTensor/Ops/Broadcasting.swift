// MARK: - Broadcasting (NumPy rules)
// Binary ops align shapes at their trailing axes; an extent of 1 (or a missing leading axis)
// stretches to the other operand's extent. In backward, the gradient of a broadcast operand
// is the output gradient summed back down to the operand's shape (`reduced(toShape:)`).

extension Tensor {
    /// The shape two operands broadcast to.
    /// - Throws: `TensorError` naming `op` and both shapes when some aligned extents differ
    ///   and neither is 1.
    public static func broadcastShape(_ a: [Int], _ b: [Int], op: String = "broadcast") throws -> [Int] {
        guard let shape = broadcastedShape(a, b) else {
            throw TensorError(op, "shapes \(shapeString(a)) and \(shapeString(b)) cannot be broadcast together; each aligned pair of extents must be equal or contain a 1")
        }
        return shape
    }

    /// This tensor broadcast (stretched) to `shape`, materialized contiguously.
    ///
    /// Backward: the gradient summed back down to this tensor's shape.
    /// - Throws: `TensorError` when this shape does not broadcast to `shape`.
    public func expanded(to shape: [Int]) throws -> Tensor {
        let target = try Tensor.broadcastShape(self.shape, shape, op: "expanded")
        guard target == shape else {
            throw TensorError("expanded", "a tensor of shape \(shapeString(self.shape)) cannot be expanded to \(shapeString(shape))")
        }
        if shape == self.shape { return self }
        let inputShape = self.shape
        let result = Tensor.uninitialized(shape: shape) { out in
            guard out.count > 0 else { return }
            withUnsafeScalars { x in
                broadcastCopyKernel(x.baseAddress!, inputShape, into: out.baseAddress!, outShape: shape)
            }
        }
        return Tensor.record(result, op: "expanded", inputs: [self]) { g, _ in
            [try g.reduced(toShape: inputShape)]
        }
    }

    /// The sum of this tensor over the axes along which `shape` was broadcast up to this
    /// tensor's shape: the inverse of `expanded(to:)`, used by every broadcasting backward rule.
    ///
    /// Backward: the gradient expanded back to this tensor's shape.
    /// - Throws: `TensorError` when `shape` does not broadcast to this tensor's shape.
    public func reduced(toShape shape: [Int]) throws -> Tensor {
        if shape == self.shape { return self }
        guard broadcastedShape(shape, self.shape) == self.shape else {
            throw TensorError("reduced", "a tensor of shape \(shapeString(self.shape)) cannot be summed down to \(shapeString(shape)), which does not broadcast to it")
        }
        let offset = rank - shape.count
        let reduce = (0..<rank).map { axis in axis < offset || (shape[axis - offset] == 1 && self.shape[axis] != 1) }
        let result = reducingSum(over: reduce, resultShape: shape)
        let inputShape = self.shape
        return Tensor.record(result, op: "reduced", inputs: [self]) { g, _ in
            [try g.expanded(to: inputShape)]
        }
    }

    /// The sum over the axes marked in `reduce`, stored with `resultShape` (which must hold
    /// the kept extents in order). No graph is recorded.
    func reducingSum(over reduce: [Bool], resultShape: [Int]) -> Tensor {
        let inputShape = shape
        return Tensor.uninitialized(shape: resultShape) { out in
            guard out.count > 0 else { return }
            withUnsafeScalars { x in
                if x.count == 0 {
                    out.update(repeating: 0)
                } else {
                    reduceSumKernel(x.baseAddress!, shape: inputShape, reduce: reduce,
                                    into: out.baseAddress!, outCount: out.count)
                }
            }
        }
    }

    /// `Operation` applied elementwise over the broadcast of `a` and `b`, without recording.
    /// - Throws: `TensorError` naming `op` and both shapes when they do not broadcast.
    @inline(__always)
    static func broadcasting<Operation: BinaryScalarOperation>(_ a: Tensor, _ b: Tensor, op: String,
                                                               _ operation: Operation.Type) throws -> Tensor {
        let shape = try broadcastShape(a.shape, b.shape, op: op)
        return Tensor.uninitialized(shape: shape) { out in
            guard out.count > 0 else { return }
            a.withUnsafeScalars { pa in
                b.withUnsafeScalars { pb in
                    broadcastBinaryKernel(pa.baseAddress!, a.shape, pb.baseAddress!, b.shape,
                                          into: out.baseAddress!, outShape: shape, operation)
                }
            }
        }
    }
}
