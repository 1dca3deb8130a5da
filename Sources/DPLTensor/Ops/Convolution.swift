// MARK: - 2-D convolution

extension Tensor {
    /// 2-D convolution (cross-correlation, as in PyTorch's `torch.nn.functional.conv2d`):
    /// `input [N, C, H, W]`, `weight [O, C, kh, kw]`, optional `bias [O]` give
    /// `[N, O, (H + 2p − kh)/s + 1, (W + 2p − kw)/s + 1]`, with zero padding `p` on every side.
    ///
    /// Backward gives gradients for the input, the weight and the bias (each only when needed).
    /// Computed through im2col and `sgemm`, or on CPUs with AVX-512 through DPL's direct
    /// convolution kernel (DirectConvolution), with the batch split across the engine's threads.
    /// - Throws: `TensorError` when ranks or channel counts do not fit, `stride < 1`,
    ///   `padding < 0`, or the kernel is larger than the padded input.
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil,
                              stride: Int = 1, padding: Int = 0) throws -> Tensor {
        try conv2d(input, weight: weight, bias: bias, channelShift: nil, stride: stride, padding: padding)
    }

    /// `conv2d(input, weight:, bias:, stride:, padding:)` plus a per-sample shift of each
    /// output channel: `channelShift [N, O]` is added to every position of channel o of
    /// sample n — `conv2d(…) + channelShift.reshaped([N, O, 1, 1])` as one op. The U-Net adds
    /// its time embedding this way after every block's first convolution; fused, the shift is
    /// added while each sample's output is still in cache, and no second activation is
    /// allocated or kept on the tape.
    ///
    /// Values and gradients are bit-identical to the two-op form (the same additions, and the
    /// shift's gradient is the same reduction the broadcasting `+` uses).
    ///
    /// `residual`, shaped like the output, is added last — `residual + conv2d(…)` as one op:
    /// the U-Net's residual blocks end with their skip path plus their second convolution.
    /// Fused, each sample's sum is taken while its output is still in cache, and no second
    /// activation is allocated. Addition commutes exactly, so the bits are the two-op form's;
    /// the residual's gradient is the output's.
    /// - Throws: as `conv2d`, and when `channelShift` is not `[N, O]` or `residual` does not
    ///   have the output's shape.
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, channelShift: Tensor?,
                              residual: Tensor? = nil, stride: Int = 1, padding: Int = 0) throws -> Tensor {
        let problem = try convolutionProblem(input: input, weight: weight, bias: bias,
                                             stride: stride, padding: padding)
        let g = problem.geometry
        let outputShape = [problem.batch, problem.outChannels, g.outputHeight, g.outputWidth]
        if let channelShift, channelShift.shape != [problem.batch, problem.outChannels] {
            throw TensorError("conv2d", "channelShift must have shape [\(problem.batch), \(problem.outChannels)] (batch, output channels) for input \(shapeString(input.shape)) and weight \(shapeString(weight.shape)) but has shape \(shapeString(channelShift.shape))")
        }
        if let residual, residual.shape != outputShape {
            throw TensorError("conv2d", "residual must have the output's shape \(shapeString(outputShape)) for input \(shapeString(input.shape)) and weight \(shapeString(weight.shape)) but has shape \(shapeString(residual.shape))")
        }
        // Every output element is a dot product over C·kh·kw inputs.
        FlopCounter.record(multiplyAdds: outputShape.reduce(1, *) * weight.shape[1] * weight.shape[2] * weight.shape[3])
        if input.count == 0 || weight.count == 0 {
            var empty = try emptyConvolution(input: input, weight: weight, bias: bias, outputShape: outputShape)
            if let channelShift { empty = try empty + channelShift.reshaped([problem.batch, problem.outChannels, 1, 1]) }
            guard let residual else { return empty }
            return try residual + empty
        }
        let result = Tensor.uninitialized(shape: outputShape) { output in
            input.withUnsafeScalars { x in
                weight.withUnsafeScalars { w in
                    withOptionalScalars(bias) { b in
                        withOptionalScalars(channelShift) { shift in
                            withOptionalScalars(residual) { r in
                                convolutionForward(problem, input: x.baseAddress!, weight: w.baseAddress!,
                                                   bias: b, channelShift: shift, residual: r, output: output.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        let inputs = [input, weight] + (bias.map { [$0] } ?? []) + (channelShift.map { [$0] } ?? [])
            + (residual.map { [$0] } ?? [])
        let hasShift = channelShift != nil, hasResidual = residual != nil
        // Indices, not `inputs`: capturing the array would keep the residual's (and the
        // shift's) values alive on the tape until the backward pass.
        let shiftIndex = 2 + (bias == nil ? 0 : 1), residualIndex = inputs.count - 1
        return record(result, op: "conv2d", inputs: inputs) { gradOutput, needs in
            var grads = convolutionGradients(problem, input: input, weight: weight, hasBias: bias != nil,
                                                 gradOutput: gradOutput, needs: needs)
            if hasShift {
                // The reduction the broadcasting `+` applies to a [N, O, 1, 1] operand.
                grads.append(needs[shiftIndex]
                    ? gradOutput.reducingSum(over: [false, false, true, true], resultShape: [problem.batch, problem.outChannels])
                    : nil)
            }
            if hasResidual { grads.append(needs[residualIndex] ? gradOutput : nil) }
            return grads
        }
    }

    /// The gradients of a convolution for its input, weight and (when it has one) bias, each
    /// only when `needs` asks for it.
    private static func convolutionGradients(_ problem: ConvProblem, input: Tensor, weight: Tensor, hasBias: Bool,
                                             gradOutput: Tensor, needs: [Bool]) -> [Tensor?] {
        var gradInput: Tensor?, gradWeight: Tensor?, gradBias: Tensor?
        // The kernels overwrite every gradient they are given: no zero fill needed.
        if needs[0] { gradInput = overwritableTensor(input.shape) }
        if needs[1] { gradWeight = overwritableTensor(weight.shape) }
        if hasBias, needs[2] { gradBias = overwritableTensor([problem.outChannels]) }
        input.withUnsafeScalars { x in
            weight.withUnsafeScalars { w in
                gradOutput.withUnsafeScalars { dy in
                    withOptionalMutableScalars(&gradInput) { dx in
                        withOptionalMutableScalars(&gradWeight) { dw in
                            withOptionalMutableScalars(&gradBias) { db in
                                convolutionBackward(problem, input: x.baseAddress!, weight: w.baseAddress!,
                                                    gradOutput: dy.baseAddress!,
                                                    gradInput: dx, gradWeight: dw, gradBias: db)
                            }
                        }
                    }
                }
            }
        }
        return hasBias ? [gradInput, gradWeight, gradBias] : [gradInput, gradWeight]
    }

    /// A convolution with no batch, no channels or no output channels: every output is its
    /// bias, and every gradient is zero apart from the bias's.
    private static func emptyConvolution(input: Tensor, weight: Tensor, bias: Tensor?,
                                         outputShape: [Int]) throws -> Tensor {
        let plane = outputShape[2] * outputShape[3]
        var scalars = [Float](repeating: 0, count: outputShape.reduce(1, *))
        if let bias {
            for index in scalars.indices { scalars[index] = bias.scalars[(index / plane) % outputShape[1]] }
        }
        let result = try Tensor(shape: outputShape, scalars: scalars)
        let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
        return record(result, op: "conv2d", inputs: inputs) { gradOutput, needs in
            var gradBias = [Float](repeating: 0, count: outputShape[1])
            for index in gradOutput.scalars.indices { gradBias[(index / plane) % outputShape[1]] += gradOutput.scalars[index] }
            let grads: [Tensor?] = [Tensor.zeros(input.shape), Tensor.zeros(weight.shape),
                                    Tensor(uncheckedShape: [outputShape[1]], scalars: gradBias)]
            return Array(grads.prefix(inputs.count))
        }
    }

    // MARK: - Validation

    /// Checks the operands of `conv2d` and returns the sizes of the call.
    private static func convolutionProblem(input: Tensor, weight: Tensor, bias: Tensor?,
                                           stride: Int, padding: Int) throws -> ConvProblem {
        guard input.rank == 4 else {
            throw TensorError("conv2d", "input must be [N, C, H, W] but has shape \(shapeString(input.shape))")
        }
        guard weight.rank == 4 else {
            throw TensorError("conv2d", "weight must be [out, in, kh, kw] but has shape \(shapeString(weight.shape))")
        }
        guard input.shape[1] == weight.shape[1] else {
            throw TensorError("conv2d", "input \(shapeString(input.shape)) has \(input.shape[1]) channels but weight \(shapeString(weight.shape)) expects \(weight.shape[1]); make the weight's second extent match the input's channels")
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw TensorError("conv2d", "bias must have shape [\(weight.shape[0])] for weight \(shapeString(weight.shape)) but has shape \(shapeString(bias.shape))")
        }
        guard stride >= 1 else {
            throw TensorError("conv2d", "stride must be at least 1 but is \(stride)")
        }
        guard padding >= 0 else {
            throw TensorError("conv2d", "padding must not be negative but is \(padding)")
        }
        let (height, width) = (input.shape[2], input.shape[3])
        let (kernelHeight, kernelWidth) = (weight.shape[2], weight.shape[3])
        guard kernelHeight >= 1, kernelWidth >= 1 else {
            throw TensorError("conv2d", "kernel must be at least 1×1 but weight has shape \(shapeString(weight.shape))")
        }
        guard kernelHeight <= height + 2 * padding, kernelWidth <= width + 2 * padding else {
            throw TensorError("conv2d", "kernel \(kernelHeight)×\(kernelWidth) of weight \(shapeString(weight.shape)) is larger than input \(shapeString(input.shape)) padded by \(padding); use a smaller kernel or more padding")
        }
        let geometry = ConvGeometry(channels: input.shape[1], height: height, width: width,
                                    kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                                    stride: stride, padding: padding)
        return ConvProblem(batch: input.shape[0], outChannels: weight.shape[0], geometry: geometry,
                           weightIdentity: weight.node.map(ObjectIdentifier.init))
    }
}

// MARK: - Optional buffers

/// A tensor whose storage a kernel is about to overwrite entirely (a gradient buffer):
/// allocated without the zero fill that `Tensor.zeros` would spend a pass (and, for large
/// buffers, page faults) on. Its values are unspecified until then.
func overwritableTensor(_ shape: [Int]) -> Tensor {
    Tensor.uninitialized(shape: shape) { _ in }
}

/// Calls `body` with the base address of `tensor`'s scalars, or nil when there is no tensor.
func withOptionalScalars<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let tensor else { return body(nil) }
    return tensor.withUnsafeScalars { body($0.baseAddress) }
}

/// Calls `body` with the mutable base address of `tensor`'s scalars, or nil when there is none.
func withOptionalMutableScalars<R>(_ tensor: inout Tensor?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard var unique = tensor else { return body(nil) }
    // Move the storage out so the write does not copy it, then put it back.
    tensor = nil
    defer { tensor = unique }
    return unique.withUnsafeMutableScalars { body($0.baseAddress) }
}
