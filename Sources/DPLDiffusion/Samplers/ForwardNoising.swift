import DPLTensor

// MARK: - Forward noising

extension NoiseSchedule {
    /// x_t = √ᾱ x + √(1 − ᾱ) ε after `t` forward steps (ᾱ at index t − 1; t = 0 returns `x`).
    ///
    /// Differentiable in `x`; `noise` is a constant. `x` and `noise` must have equal shapes.
    /// - Throws: `DiffusionError` when t is outside 0…T, `TensorError` on a shape mismatch.
    public func diffuse(_ x: Tensor, steps t: Int, noise: Tensor) throws -> Tensor {
        guard (0...stepCount).contains(t) else {
            throw DiffusionError("diffuse", "t is \(t) but this schedule has \(stepCount) steps; give t between 0 and \(stepCount)")
        }
        guard x.shape == noise.shape else {
            throw TensorError("diffuse", "images of shape \(shapeString(x.shape)) and noise of shape \(shapeString(noise.shape)) differ")
        }
        if t == 0 { return x }
        let alphaBar = alphasCumprod[t - 1]
        return try x * Float(alphaBar.squareRoot()) + noise.detached() * Float((1 - alphaBar).squareRoot())
    }

    /// x_t with ε drawn from `noise`'s diffuse key: row n of ε is the stream of `sampleIDs[n]`,
    /// so a sample's noise does not depend on the batch it is purified in.
    /// - Throws: as `diffuse(_:steps:noise:)`, or when the ids do not match the batch.
    public func diffuse(_ x: Tensor, steps t: Int, noise: PurificationNoise, sampleIDs: [UInt64]) throws -> Tensor {
        let epsilon = try Tensor.normal(shape: x.shape, key: noise.diffuseKey(t: t), sampleIDs: sampleIDs)
        return try diffuse(x, steps: t, noise: epsilon)
    }
}
