import DPLAttacks
import DPLTensor

/// One differentiable image-to-image step of a defense (purification), as a pipeline stage
/// contributes it: `(images in [0, 1], sample ids, call index) → images in [0, 1]`.
///
/// The call index addresses the randomness (see `DefenseCallIndex`); a transform with fixed
/// randomness ignores it.
public struct ImageTransform {
    /// For reports: `purify t=100 sampler=ddpm seed=fixed grad=full`.
    public let description: String
    /// Whether each call index draws fresh randomness.
    public let isRandomized: Bool
    /// How gradients pass through it.
    public let gradient: DefenseGradient
    /// The computation.
    public let apply: (_ images: Tensor, _ sampleIDs: [UInt64], _ call: UInt64) throws -> Tensor

    /// A transform.
    public init(description: String, isRandomized: Bool, gradient: DefenseGradient,
                apply: @escaping (_ images: Tensor, _ sampleIDs: [UInt64], _ call: UInt64) throws -> Tensor) {
        self.description = description
        self.isRandomized = isRandomized
        self.gradient = gradient
        self.apply = apply
    }
}

extension Array where Element == ImageTransform {
    /// The transforms applied in order, each honouring its own gradient mode: `exact` records
    /// the graph, `bpda` passes the gradient straight through, `unavailable` blocks it.
    func apply(_ images: Tensor, sampleIDs: [UInt64], call: UInt64) throws -> Tensor {
        var x = images
        for transform in self {
            switch transform.gradient {
            case .exact:
                x = try transform.apply(x, sampleIDs, call)
            case .bpda:
                let value = try withoutGradients { try transform.apply(x.detached(), sampleIDs, call) }
                x = try x + (value - x.detached())
            case .unavailable:
                x = try withoutGradients { try transform.apply(x.detached(), sampleIDs, call) }
            }
        }
        return x
    }

    /// The weakest gradient among the transforms (an unavailable one blocks the chain).
    var gradient: DefenseGradient {
        if contains(where: { $0.gradient == .unavailable }) { return .unavailable }
        if contains(where: { $0.gradient == .bpda }) { return .bpda }
        return .exact
    }

    var isRandomized: Bool { contains(where: \.isRandomized) }
}
