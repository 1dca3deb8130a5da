import DPLTensor

/// Group normalization with a learned per-channel scale and shift, as PyTorch's
/// `nn.GroupNorm(groups, channels)` (parameters `weight` = 1 and `bias` = 0 at creation).
public final class GroupNorm: Module {
    /// The number of channel groups normalized together.
    public let groups: Int
    /// Per-channel scale `[C]` (PyTorch's name `weight`).
    public let weight: Parameter
    /// Per-channel shift `[C]`.
    public let bias: Parameter
    /// Added to the variance.
    public let eps: Float

    /// A layer over `channels` channels in `groups` groups.
    /// - Throws: `TensorError` when `channels` is not a multiple of `groups`.
    public init(groups: Int, channels: Int, eps: Float = 1e-5) throws {
        guard groups > 0, channels % groups == 0 else {
            throw TensorError("GroupNorm", "\(channels) channels cannot be split into \(groups) groups; use a group count that divides the channel count")
        }
        self.groups = groups
        self.weight = Parameter(.ones([channels]))
        self.bias = Parameter(.zeros([channels]))
        self.eps = eps
    }

    public var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    /// Normalizes `[N, C, H, W]`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.groupNorm(groups: groups, gamma: weight.value, beta: bias.value, eps: eps)
    }

    /// `self(x).silu()` as one fused op (the pre-activation pattern of the U-Net's blocks):
    /// the same values and gradients, one pass fewer each way and one tensor fewer on the tape.
    public func thenSiLU(_ x: Tensor) throws -> Tensor {
        try x.groupNormSiLU(groups: groups, gamma: weight.value, beta: bias.value, eps: eps)
    }
}
