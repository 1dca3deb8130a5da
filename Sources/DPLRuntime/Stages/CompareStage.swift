import DPLAttacks
import DPLLang

/// `compare "fixed, key *" "fresh, EOT 4"` — the paired comparison of robust accuracy between
/// reported results of the same samples (`PairedComparison`): mean robust accuracy of each side
/// over its results, their spread, the difference with a 95% paired bootstrap interval, and the
/// exact McNemar (sign) test. A label ending in `*` matches every result whose label starts
/// with the rest, so the fixed-noise purifier can be compared over several keys at once.
/// The comparison becomes a result row, so `results` and `save` carry it. In a sharded run it
/// is skipped with a note: its bootstrap and test need every image's verdicts, which no
/// shard has, so `dpl merge` could not recompute it.
enum CompareStage {
    static let signature = StageSignature(
        name: "compare", doc: "Compares the robust accuracy of reported results sample by sample: means, spread across results, the difference with a paired bootstrap interval and McNemar's exact test.",
        input: .nothing, output: RuntimeKinds.table,
        parameters: [
            Parameter("a", .string, required: true, doc: "The results on side a: a label, or a prefix ending in * for several (e.g. \"fixed, key *\")."),
            Parameter("b", .string, required: true, doc: "The results on side b, the same way; the difference is b − a."),
            Parameter("as", .string, doc: "Title of the result row (default: \"b vs a\")."),
        ], positional: ["a", "b"])

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { _, arguments, _, context in
            let args = ArgumentReader(stage: "compare", arguments: arguments)
            let patternA = try args.text("a"), patternB = try args.text("b")
            if let shard = try SessionSettings(context).shard() {
                context.print("compare \"\(patternA)\" \"\(patternB)\" skipped in shard \(shard): it needs every image's verdicts; run it unsharded, or pair the merged file's per-sample rows")
                return .runtime(ResultTable(rows: []))
            }
            let sideA = try matching(patternA, in: state.results), sideB = try matching(patternB, in: state.results)
            let shared = sharedSamples(sideA + sideB)
            guard !shared.isEmpty else {
                throw RuntimeError("`compare` found no sample evaluated in every result of \"\(patternA)\" and \"\(patternB)\"; compare results of the same images")
            }
            let comparison = try PairedComparison(a: verdicts(sideA, on: shared), b: verdicts(sideB, on: shared),
                                                  seed: SessionSettings(context).seed)
            var row = ResultRow(label: args.optionalText("as") ?? "\(patternB) vs \(patternA)", dataset: sideA[0].dataset,
                                defense: "a: \(patternA); b: \(patternB)", rule: nil, cleanAccuracy: nil, robustAccuracy: nil,
                                attackSuccess: nil, threatModel: nil, attack: nil, flags: [], samples: [])
            row.measuredCount = comparison.n
            row.measurements = [
                ("a_results", Double(sideA.count)), ("a_robust", comparison.meanA), ("a_spread", comparison.spreadA),
                ("b_results", Double(sideB.count)), ("b_robust", comparison.meanB), ("b_spread", comparison.spreadB),
                ("difference", comparison.difference), ("difference_low", comparison.interval.lower),
                ("difference_high", comparison.interval.upper), ("favours_a", Double(comparison.favoursA)),
                ("favours_b", Double(comparison.favoursB)), ("mcnemar_p", comparison.pValue),
            ]
            state.results.append(row)
            return .runtime(ResultTable(rows: [row]))
        }
    }

    /// The attacked results a pattern names: an exact label, or every label with the prefix
    /// before a trailing `*`.
    static func matching(_ pattern: String, in results: [ResultRow]) throws -> [ResultRow] {
        let attacked = results.filter { !$0.samples.isEmpty }
        let found: [ResultRow]
        if pattern.hasSuffix("*") {
            let prefix = String(pattern.dropLast())
            found = attacked.filter { $0.label.hasPrefix(prefix) }
        } else {
            found = attacked.filter { $0.label == pattern }
        }
        guard !found.isEmpty else {
            let labels = attacked.map { "\"\($0.label)\"" }.joined(separator: ", ")
            throw RuntimeError("`compare` found no attacked result labelled \"\(pattern)\"; "
                + (labels.isEmpty ? "report an attack first (… | classify | report as \"name\")" : "the attacked results are \(labels)"))
        }
        return found
    }

    /// The sample ids every result evaluated, in the first result's order.
    static func sharedSamples(_ rows: [ResultRow]) -> [UInt64] {
        guard let first = rows.first else { return [] }
        let sets = rows.dropFirst().map { Set($0.samples.map(\.sampleID)) }
        return first.samples.map(\.sampleID).filter { id in sets.allSatisfy { $0.contains(id) } }
    }

    /// Each result's robust verdicts on `ids`, in that order.
    static func verdicts(_ rows: [ResultRow], on ids: [UInt64]) -> [[Bool]] {
        rows.map { row in
            let robust = Dictionary(row.samples.map { ($0.sampleID, $0.robustCorrect) }, uniquingKeysWith: { first, _ in first })
            return ids.map { robust[$0] ?? false }
        }
    }
}
