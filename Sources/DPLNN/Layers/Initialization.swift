import DPLTensor

// MARK: - PyTorch's default initialization, drawn from DPL's keyed generator

/// Uniform values in `[-bound, bound)` of the given shape, drawn from `key` (stream 0), so a
/// freshly built model is the same on every machine for the same seed.
///
/// PyTorch initializes `Linear` and `Conv2d` weights with `kaiming_uniform_(a=√5)`, whose bound
/// works out to `1/√fan_in`, and biases with the same bound; `defaultBound` computes it.
func uniformInitialization(shape: [Int], bound: Float, key: RandomKey, stream: UInt64) throws -> Tensor {
    let count = shape.reduce(1, *)
    let flat = try Tensor.uniform(shape: [1, count], key: key, sampleIDs: [stream], low: -bound, high: bound)
    return try flat.reshaped(shape)
}

/// `1/√fan_in`, PyTorch's bound for both weights and biases of linear and convolution layers.
func defaultBound(fanIn: Int) -> Float {
    fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
}
