import Foundation

/// A dense float32 tensor of any rank, stored contiguously in row-major order (NCHW for images).
///
/// `Tensor` has value semantics: its scalars live in a Swift `Array`, which is copy-on-write,
/// so copying a tensor is O(1) and a write copies only when the storage is shared.
///
/// A tensor may carry a node of the autodiff graph (`requiresGrad`). Every differentiable op
/// records such a node when gradients are enabled (see `GradMode`) and one of its inputs
/// requires a gradient; `gradients(of:wrt:)` then runs reverse-mode differentiation.
public struct Tensor {
    /// The extent of each axis; `[]` is a scalar.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public internal(set) var scalars: [Float]
    /// The autodiff node that produced this tensor, or the leaf node of a tensor that requires
    /// a gradient; `nil` for constants.
    internal var node: GradNode?

    // MARK: - Creation

    /// A tensor with the given shape and scalars in row-major order.
    /// - Throws: `TensorError` when the number of scalars does not match the shape.
    public init(shape: [Int], scalars: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError("Tensor", "shape \(shapeString(shape)) has a negative extent")
        }
        let count = shape.reduce(1, *)
        guard count == scalars.count else {
            throw TensorError("Tensor", "shape \(shapeString(shape)) needs \(count) scalars but \(scalars.count) were given")
        }
        self.shape = shape
        self.scalars = scalars
        self.node = nil
    }

    /// Internal unchecked initializer for ops that computed a matching shape themselves.
    @usableFromInline
    internal init(uncheckedShape shape: [Int], scalars: [Float]) {
        self.shape = shape
        self.scalars = scalars
        self.node = nil
    }

    /// A scalar (rank-0) tensor.
    public init(_ value: Float) {
        self.init(uncheckedShape: [], scalars: [value])
    }

    /// A tensor of the given shape with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        let clamped = shape.map { max(0, $0) }
        self.init(uncheckedShape: clamped, scalars: [Float](repeating: value, count: clamped.reduce(1, *)))
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// A tensor whose storage is filled by `body`, which must initialize all `count` elements.
    /// Ops use this to avoid zero-filling storage they overwrite anyway.
    @inlinable
    public static func uninitialized(
        shape: [Int], _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows -> Tensor {
        let count = shape.reduce(1, *)
        let scalars = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try body(buffer)
            initialized = count
        }
        return Tensor(uncheckedShape: shape, scalars: scalars)
    }

    // MARK: - Shape queries

    /// The number of axes.
    @inlinable public var rank: Int { shape.count }
    /// The number of elements.
    @inlinable public var count: Int { scalars.count }

    /// The value of a tensor with exactly one element.
    /// - Throws: `TensorError` when the tensor has more or fewer than one element.
    public func item() throws -> Float {
        guard scalars.count == 1 else {
            throw TensorError("item", "expected a tensor with one element but the shape is \(shapeString(shape))")
        }
        return scalars[0]
    }

    // MARK: - Autodiff state

    /// Whether this tensor takes part in the autodiff graph.
    public var requiresGrad: Bool { node != nil }

    /// A copy that is a new leaf of the autodiff graph: `gradients(of:wrt:)` can differentiate
    /// with respect to it. Used for attack inputs and for model parameters.
    public func requiringGrad() -> Tensor {
        var copy = self
        copy.node = GradNode(leafShape: shape)
        return copy
    }

    /// A copy cut off from the autodiff graph (a constant).
    public func detached() -> Tensor {
        var copy = self
        copy.node = nil
        return copy
    }

    /// Replaces the values while keeping this tensor's identity in the graph. Optimizers use it
    /// so that a parameter stays the same leaf across training steps.
    /// - Throws: `TensorError` when the new values have a different shape.
    public mutating func assign(_ other: Tensor) throws {
        guard other.shape == shape else {
            throw TensorError("assign", "cannot assign a tensor of shape \(shapeString(other.shape)) to one of shape \(shapeString(shape))")
        }
        scalars = other.scalars
    }

    /// Mutable access to the raw scalars, for optimizers and data loaders that update in place.
    /// The graph node is kept; callers must not change the element count.
    public mutating func withUnsafeMutableScalars<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Read-only access to the raw scalars.
    public func withUnsafeScalars<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer { try body($0) }
    }
}

extension Tensor: CustomStringConvertible {
    /// A short summary: shape and the first few elements.
    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        let more = scalars.count > 8 ? ", …" : ""
        return "Tensor\(shapeString(shape)) [\(shown)\(more)]"
    }
}
