import DPLTensor

/// A 2-D convolution layer with PyTorch's names and layout (`weight [out, in, kh, kw]`,
/// `bias [out]`), square kernels, and zero padding.
public final class Conv2d: Module {
    /// `[outChannels, inChannels, kernel, kernel]`.
    public let weight: Parameter
    /// `[outChannels]`, or `nil`.
    public let bias: Parameter?
    /// The step between output positions.
    public let stride: Int
    /// Zeros added on every side.
    public let padding: Int

    /// A layer initialized as PyTorch's `nn.Conv2d` does, from the keyed generator.
    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                bias hasBias: Bool = true, key: RandomKey) throws {
        let bound = defaultBound(fanIn: inChannels * kernel * kernel)
        weight = Parameter(try uniformInitialization(shape: [outChannels, inChannels, kernel, kernel],
                                                     bound: bound, key: key, stream: 0))
        bias = hasBias ? Parameter(try uniformInitialization(shape: [outChannels], bound: bound, key: key, stream: 1)) : nil
        self.stride = stride
        self.padding = padding
    }

    public var ownParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// `[N, in, H, W] → [N, out, H', W']`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try Tensor.conv2d(x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
    }

    /// `self(x) + shift.reshaped([N, out, 1, 1])` for `shift [N, out]`, as one fused op (the
    /// U-Net's time embedding added after a block's first convolution): the same values and
    /// gradients, one activation fewer.
    public func callAsFunction(_ x: Tensor, addingPerSample shift: Tensor) throws -> Tensor {
        try Tensor.conv2d(x, weight: weight.value, bias: bias?.value, channelShift: shift, stride: stride, padding: padding)
    }

    /// `residual + self(x)` for `residual` shaped like the output, as one fused op (a residual
    /// block's skip path plus its last convolution): the same values and gradients, one
    /// activation fewer.
    public func callAsFunction(_ x: Tensor, addingResidual residual: Tensor) throws -> Tensor {
        try Tensor.conv2d(x, weight: weight.value, bias: bias?.value, channelShift: nil, residual: residual,
                          stride: stride, padding: padding)
    }
}
