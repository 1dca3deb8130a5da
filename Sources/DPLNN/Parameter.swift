import DPLTensor

/// A trainable tensor of a module: a weight or a bias.
///
/// A parameter is a class so that its identity outlives any one training step: its value is
/// made an autodiff leaf once, at creation, and every later update goes through `assign(_:)`
/// or in-place writes that keep that leaf. `gradients(of: loss, wrt: [p.value])` therefore
/// finds the same node step after step, and optimizers keep their state per parameter
/// (`Parameter` is `Hashable` by identity).
public final class Parameter: Hashable, CustomStringConvertible {
    /// The current value; a leaf of the autodiff graph that requires a gradient.
    /// Change it with `assign(_:)` or `withUnsafeMutableScalars(_:)` so the leaf is kept.
    public internal(set) var value: Tensor

    /// A parameter with the given initial value (any graph the value carried is dropped).
    public init(_ value: Tensor) {
        self.value = value.detached().requiringGrad()
    }

    /// The parameter's shape.
    public var shape: [Int] { value.shape }

    /// Replaces the values, keeping the autodiff leaf.
    /// - Throws: `TensorError` when `newValue` has a different shape.
    public func assign(_ newValue: Tensor) throws {
        try value.assign(newValue)
    }

    /// In-place access to the scalars (optimizers, initializers); the leaf is kept.
    public func withUnsafeMutableScalars<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try value.withUnsafeMutableScalars(body)
    }

    /// Identity: two parameters are equal only if they are the same object.
    public static func == (lhs: Parameter, rhs: Parameter) -> Bool { lhs === rhs }

    /// Hashes the object identity.
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    /// The shape, e.g. `Parameter[64, 3, 3, 3]`.
    public var description: String { "Parameter\(shapeString(shape))" }
}
