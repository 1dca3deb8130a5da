import DPLDiffusion
import DPLTensor

// MARK: - Defense transforms

/// One image-to-image step of a defense before its classifier (purification):
/// `(images in [0, 1], sample ids, call index) → images in [0, 1]`.
///
/// The call index addresses the randomness (`DefenseCallIndex`); a transform with fixed
/// randomness ignores it. `apply` already honours the transform's backward rule (exact,
/// BPDA or blocked — `GradientMode.run`), so composing transforms is plain function
/// composition and no second surrogate-gradient implementation exists.
public struct DefenseTransform {
    /// For reports: `purify t=100 sampler=ddpm seed=fixed grad=full`.
    public let description: String
    /// Whether each call index draws fresh randomness.
    public let isRandomized: Bool
    /// How gradients pass through it.
    public let gradient: DefenseGradient
    /// The computation, with its backward rule.
    public let apply: (_ images: Tensor, _ sampleIDs: [UInt64], _ call: UInt64) throws -> Tensor
    /// The purifier a `purification` transform runs, so a planner can count its model passes
    /// (`Purifier.cost`) without running it; nil for other transforms.
    public private(set) var purifier: Purifier?

    /// A transform whose `apply` already implements the backward rule `gradient` names
    /// (e.g. a `Purifier`, which runs its `GradientMode`).
    public init(description: String, isRandomized: Bool, gradient: DefenseGradient,
                apply: @escaping (_ images: Tensor, _ sampleIDs: [UInt64], _ call: UInt64) throws -> Tensor) {
        self.description = description
        self.isRandomized = isRandomized
        self.gradient = gradient
        self.apply = apply
    }

    /// A transform from an exact computation and the backward rule attacks should see.
    public init(description: String, isRandomized: Bool, mode: GradientMode,
                exact: @escaping (_ images: Tensor, _ sampleIDs: [UInt64], _ call: UInt64) throws -> Tensor) {
        self.init(description: description, isRandomized: isRandomized, gradient: DefenseGradient(mode)) { images, ids, call in
            try mode.run(images, blocked: {
                AttackError("defense", "a backward pass needs gradients through '\(description)', which blocks them; give it exact or BPDA gradients")
            }) { try exact($0, ids, call) }
        }
    }

    /// Diffusion purification as a defense step: the defense's call index becomes the
    /// purifier's noise through its seed mode (`SeedMode.noise(call:)`), and its gradient mode
    /// decides what attacks differentiate (`grad=full` → exact, `bpda` → BPDA, `none` →
    /// unavailable). The description defaults to the purifier's settings.
    public static func purification(_ purifier: Purifier, description: String? = nil) -> DefenseTransform {
        let settings = purifier.settings
        let text = description
            ?? "purify t=\(settings.t) sampler=\(settings.sampler) seed=\(settings.seed) grad=\(settings.gradient.rawValue)"
        var transform = DefenseTransform(description: text, isRandomized: !settings.seed.isDeterministic,
                                         gradient: DefenseGradient(settings.gradient)) { images, ids, call in
            try purifier.purify(images, sampleIDs: ids, call: call)
        }
        transform.purifier = purifier
        return transform
    }
}

extension DefenseGradient {
    /// What attacks get from a transform running `mode`.
    public init(_ mode: GradientMode) {
        switch mode {
        case .full: self = .exact
        case .bpda: self = .bpda
        case .none: self = .unavailable
        }
    }
}

extension Array where Element == DefenseTransform {
    /// The transforms applied in order.
    public func apply(_ images: Tensor, sampleIDs: [UInt64], call: UInt64) throws -> Tensor {
        try reduce(images) { x, transform in try transform.apply(x, sampleIDs, call) }
    }

    /// The weakest gradient among the transforms (an unavailable one blocks the chain).
    public var gradient: DefenseGradient {
        if contains(where: { $0.gradient == .unavailable }) { return .unavailable }
        if contains(where: { $0.gradient == .bpda }) { return .bpda }
        return .exact
    }

    /// Whether any transform draws fresh randomness per call.
    public var isRandomized: Bool { contains(where: \.isRandomized) }
}
