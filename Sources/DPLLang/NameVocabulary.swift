// MARK: - Names a parameter may take

/// The set of names a parameter's value may be, declared on the parameter when the names are
/// known before running but are not a fixed `choice` a user picks from: `plot y=` names a
/// field or measurement of a result row, and the rows do not exist until the script ran. The
/// checker refuses any other name with a "did you mean", so a typo fails at `dpl check`
/// rather than after every attack of the script.
///
/// Names come in families: a family is a sequence of parts, each a list of alternatives,
/// and its names are one alternative of every part joined by `_` —
/// `[[l2, linf], [clean, adversarial], [mean, max]]` holds `l2_clean_mean`, `linf_adversarial_max`, ….
public struct NameVocabulary: Sendable, Equatable {
    /// One family of names.
    public struct Family: Sendable, Equatable {
        /// The parts, in order; each lists its alternatives.
        public var parts: [[String]]

        /// The family whose names join one alternative of each part with `_`.
        public init(_ parts: [[String]]) { self.parts = parts }

        /// A family of exactly these names.
        public static func names(_ names: [String]) -> Family { Family([names]) }

        /// Every name of the family, in part order (the last part varies fastest).
        public var names: [String] {
            parts.reduce([""]) { prefixes, alternatives in
                prefixes.flatMap { prefix in alternatives.map { prefix.isEmpty ? $0 : prefix + "_" + $0 } }
            }
        }

        /// `l2|linf_clean|adversarial_mean|max`, as help and docs show a family.
        public var pattern: String {
            parts.map { $0.count == 1 ? $0[0] : "{" + $0.joined(separator: ",") + "}" }.joined(separator: "_")
        }
    }

    /// What the names name, to follow "is not …": "a field or measurement of a result row".
    public var what: String
    /// Where the complete list is (`docs/analyses.md`), for a name with no close match.
    public var reference: String
    /// The families, in the order help lists them.
    public var families: [Family]

    /// A vocabulary of `families` naming `what`, documented at `reference`.
    public init(what: String, reference: String, families: [Family]) {
        self.what = what
        self.reference = reference
        self.families = families
    }

    /// Every name, each once, in family order.
    public var names: [String] {
        families.flatMap(\.names).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    }

    /// Whether `name` belongs to a family.
    public func contains(_ name: String) -> Bool { families.contains { $0.names.contains(name) } }

    /// Nil when `name` belongs to the vocabulary, otherwise why not and the closest name.
    func mismatch(_ name: String) -> TypeMismatch? {
        guard !contains(name) else { return nil }
        return TypeMismatch(reason: "names `\(name)`, which is not \(what)",
                            fix: Suggestion.didYouMean(name, among: names) ?? "the names are listed in \(reference)")
    }
}
