/// Which of a verdict's outputs a per-sample row keeps (`classify outputs=`): the classifier's
/// logits or its softmax probabilities, each averaged over the rule's draws (`Verdict`).
public enum VerdictOutputKind: String, Sendable, CaseIterable {
    case logits
    case probabilities

    /// This kind's values in `verdict`, one per class.
    public func values(of verdict: Verdict) -> [Float] {
        self == .logits ? verdict.logits : verdict.probabilities
    }
}

/// An attacked sample's model outputs: the clean verdict's and the adversarial verdict's, so a
/// researcher can see how far the attack moved the margin, not only whether it flipped the class.
public struct SampleOutputs: Equatable, Sendable {
    public var kind: VerdictOutputKind
    /// The clean verdict's values, one per class.
    public var clean: [Float]
    /// The adversarial verdict's values, one per class.
    public var adversarial: [Float]

    public init(kind: VerdictOutputKind, clean: [Float], adversarial: [Float]) {
        self.kind = kind
        self.clean = clean
        self.adversarial = adversarial
    }
}
