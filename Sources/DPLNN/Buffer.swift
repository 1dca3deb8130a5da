import DPLTensor

/// A tensor a module keeps in its state dict but does not train: BatchNorm's running mean and
/// variance and its batch counter (PyTorch's "buffers").
///
/// Buffers are saved and loaded with the parameters, under the same dotted names, so a
/// PyTorch state_dict with `running_mean` entries loads unchanged; optimizers never see them
/// (`Module.parameters()` lists parameters only). Their values never require a gradient.
public final class Buffer: CustomStringConvertible {
    /// The current value, detached from any autodiff graph.
    public internal(set) var value: Tensor

    /// A buffer with the given initial value.
    public init(_ value: Tensor) {
        self.value = value.detached()
    }

    /// The buffer's shape.
    public var shape: [Int] { value.shape }

    /// Replaces the values.
    /// - Throws: `TensorError` when `newValue` has a different shape.
    public func assign(_ newValue: Tensor) throws {
        guard newValue.shape == value.shape else {
            throw TensorError("Buffer", "cannot assign a tensor of shape \(shapeString(newValue.shape)) to a buffer of shape \(shapeString(value.shape))")
        }
        value = newValue.detached()
    }

    /// The shape, e.g. `Buffer[64]`.
    public var description: String { "Buffer\(shapeString(shape))" }
}
