import DPLAttacks

/// What `classify outputs=` adds to each per-sample row of a clean evaluation: the classifier's
/// raw logits or its softmax probabilities, one value per class, averaged over the evaluation
/// rule's draws. (An attacked evaluation's rows hold a pair of them, `SampleOutputs`.)
public struct ModelOutputs: Equatable, Sendable {
    /// Which outputs; the raw value is the parameter's value and the JSON key.
    public typealias Kind = VerdictOutputKind

    public var kind: Kind
    /// One value per class, class 0 first.
    public var values: [Float]

    public init(kind: Kind, values: [Float]) {
        self.kind = kind
        self.values = values
    }
}

extension VerdictOutputKind {
    /// The per-sample CSV's column for class `c`: `logit_3`, `probability_3` (the clean
    /// verdict's), `adversarial_logit_3` (an attacked sample's adversarial verdict's).
    func column(_ c: Int, adversarial: Bool = false) -> String {
        (adversarial ? "adversarial_" : "") + (self == .logits ? "logit_\(c)" : "probability_\(c)")
    }
}
