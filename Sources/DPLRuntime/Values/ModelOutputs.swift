/// What `classify outputs=` adds to each per-sample row: the classifier's raw logits or its
/// softmax probabilities, one value per class, averaged over the evaluation rule's draws.
public struct ModelOutputs: Equatable, Sendable {
    /// Which outputs; the raw value is the parameter's value and the JSON key.
    public enum Kind: String, Sendable, CaseIterable {
        case logits
        case probabilities

        /// The per-sample CSV's column for class `c`: `logit_3`, `probability_3`.
        func column(_ c: Int) -> String { self == .logits ? "logit_\(c)" : "probability_\(c)" }
    }

    public var kind: Kind
    /// One value per class, class 0 first.
    public var values: [Float]

    public init(kind: Kind, values: [Float]) {
        self.kind = kind
        self.values = values
    }
}
