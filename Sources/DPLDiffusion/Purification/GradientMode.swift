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
