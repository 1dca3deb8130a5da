import DPLTensor

/// PyTorch's `nn.Conv1d(in, out, 1)` on `[N, C, L]`, with its names and layout (`weight
/// [out, in, 1]`, `bias [out]`), as guided-diffusion's attention blocks use it (`qkv`,
/// `proj_out`). Computed as a 1×1 2-D convolution over `[N, C, L, 1]`.
public final class PointwiseConv1d: Module {
    /// `[outChannels, inChannels, 1]`.
    public let weight: Parameter
    /// `[outChannels]`.
    public let bias: Parameter

    /// A layer initialized as PyTorch's `nn.Conv1d` does, from the keyed generator.
    public init(inChannels: Int, outChannels: Int, key: RandomKey) throws {
        let bound = defaultBound(fanIn: inChannels)
        weight = Parameter(try uniformInitialization(shape: [outChannels, inChannels, 1], bound: bound, key: key, stream: 0))
        bias = Parameter(try uniformInitialization(shape: [outChannels], bound: bound, key: key, stream: 1))
    }

    public var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    /// `[N, in, L] → [N, out, L]`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3 else {
            throw TensorError("conv1d", "input must be [N, C, L] but has shape \(shapeString(x.shape))")
        }
        let kernel = try weight.value.reshaped([weight.shape[0], weight.shape[1], 1, 1])
        let y = try Tensor.conv2d(x.reshaped([x.shape[0], x.shape[1], x.shape[2], 1]), weight: kernel, bias: bias.value)
        return try y.reshaped([x.shape[0], weight.shape[0], x.shape[2]])
    }
}
