import DPLTensor

/// A fully connected layer `y = x·Wᵀ + b`, with PyTorch's parameter names and layout
/// (`weight [out, in]`, `bias [out]`) so weights move between the two unchanged.
public final class Linear: Module {
    /// `[outFeatures, inFeatures]`.
    public let weight: Parameter
    /// `[outFeatures]`, or `nil` for a layer without bias.
    public let bias: Parameter?

    /// A layer initialized as PyTorch's `nn.Linear` does, from the keyed generator.
    public init(inFeatures: Int, outFeatures: Int, bias hasBias: Bool = true, key: RandomKey) throws {
        let bound = defaultBound(fanIn: inFeatures)
        weight = Parameter(try uniformInitialization(shape: [outFeatures, inFeatures], bound: bound, key: key, stream: 0))
        bias = hasBias ? Parameter(try uniformInitialization(shape: [outFeatures], bound: bound, key: key, stream: 1)) : nil
    }

    public var ownParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// `[N, in] → [N, out]`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let y = try Tensor.matmul(x, weight.value, transposeA: false, transposeB: true)
        guard let bias else { return y }
        return try y + bias.value
    }
}
