import DPLTensor

// MARK: - Gradient modes

/// What an attack differentiating through `purify` gets.
public enum GradientMode: String, Sendable, CaseIterable {
    /// The exact gradient of the whole stochastic purification (forward noising and every
    /// reverse step, noise held fixed at its keyed value), with checkpointing.
    case full
    /// Backward pass through the identity (BPDA, Athalye et al. 2018): the standard
    /// approximation, to be named as such in every report.
    case bpda
    /// No gradient: backpropagating through purification throws an error saying so.
    case none

    /// Whether a gradient passes through purification in this mode.
    public var passesGradients: Bool { self != .none }
}

// MARK: - Backward rules

extension GradientMode {
    /// `compute(images)` with this mode's backward rule — the one implementation of the
    /// surrogate gradients, used by the purifier and by any other defense transform:
    /// - `full`: the computation as is, recorded only when `images` needs a gradient (so a
    ///   model's own parameters never build a graph during evaluation);
    /// - `bpda`: the true forward value, with the identity as its backward pass (Athalye et al.
    ///   2018, "Obfuscated Gradients Give a False Sense of Security", §4.1);
    /// - `none`: the true forward value; a backward pass into `images` throws `blocked`.
    /// The forward value is the same bits in every mode.
    public func run(_ images: Tensor, blocked: @escaping () -> Error,
                    _ compute: (Tensor) throws -> Tensor) throws -> Tensor {
        if self == .full, images.requiresGrad, GradMode.isEnabled { return try compute(images) }
        let value = try withoutGradients { try compute(images) }
        switch self {
        case .full:
            return value
        case .bpda:
            return Tensor.record(value, op: "bpda", inputs: [images]) { gradient, _ in [gradient] }
        case .none:
            return Tensor.record(value, op: "blocked", inputs: [images]) { _, _ in throw blocked() }
        }
    }
}
