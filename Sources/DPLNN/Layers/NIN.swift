import DPLTensor

/// score_sde's "network in network" layer (score_sde/models/layers.py, `NIN`): a per-pixel
/// linear map over channels, y[n, o, h, w] = Σ_c x[n, c, h, w] W[c, o] + b[o]. Unlike
/// `nn.Linear` its weight is stored `[in, out]` (upstream contracts the last axis of the
/// channels-last input with W's first), under the names `W` and `b`, so score_sde checkpoints
/// load unchanged.
public final class NIN: Module {
    /// `[inChannels, outChannels]` (upstream's `W`).
    public let weight: Parameter
    /// `[outChannels]` (upstream's `b`).
    public let bias: Parameter

    /// A layer with weights uniform in ±1/√in (upstream's own initializer is variance scaling;
    /// DPL loads these layers' weights rather than training them) and zero bias, as upstream.
    public init(inChannels: Int, outChannels: Int, key: RandomKey) throws {
        weight = Parameter(try uniformInitialization(shape: [inChannels, outChannels],
                                                     bound: defaultBound(fanIn: inChannels), key: key, stream: 0))
        bias = Parameter(.zeros([outChannels]))
    }

    public var ownParameters: [(name: String, parameter: Parameter)] { [("W", weight), ("b", bias)] }

    /// `[N, in, H, W] → [N, out, H, W]`, as a 1×1 convolution with weight Wᵀ (the same sums,
    /// through the convolution kernel; the transpose is differentiable, so W gets its gradient).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (inChannels, outChannels) = (weight.shape[0], weight.shape[1])
        let kernel = try weight.value.transposed().reshaped([outChannels, inChannels, 1, 1])
        return try Tensor.conv2d(x, weight: kernel, bias: bias.value)
    }
}
