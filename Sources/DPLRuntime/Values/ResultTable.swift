import Foundation
import DPLAttacks
import DPLLang

/// One reported result: a pipeline's accuracy or robustness with everything needed to know
/// what produced it.
public struct ResultRow {
    /// The row's title (`report as "t={t}"`), or a default built from the pipeline.
    public var label: String
    /// The dataset the samples came from.
    public var dataset: String
    /// The defense that was evaluated.
    public var defense: String
    /// How the verdicts were drawn; `nil` for a measurement of images nobody classified.
    public var rule: EvaluationRule?
    /// Accuracy of the defense on clean images; `nil` for a measurement of images nobody classified.
    public var cleanAccuracy: Proportion?
    /// Accuracy on adversarial images; `nil` when no attack ran.
    public var robustAccuracy: Proportion?
    /// Fraction of clean-correct samples the attack flipped; `nil` when no attack ran.
    public var attackSuccess: Proportion?
    /// `end-to-end` or `transfer from classifier`; `nil` when no attack ran.
    public var threatModel: String?
    /// The attack's full settings; `nil` when no attack ran.
    public var attack: String?
    /// Warnings about the evaluation (see docs/analyses.md).
    public var flags: [SanityFlag]
    /// Per-sample rows of an attacked evaluation (empty otherwise).
    public var samples: [SampleRow]
    /// Per-sample predictions of a clean evaluation (empty after an attack, whose `samples`
    /// hold the clean prediction beside the adversarial one).
    public var predictions: [PredictionRow] = []
    /// Extra measured values (`measure` stages), by name.
    public var measurements: [(name: String, value: Double)] = []
    /// Per-sample values of a `measure` stage (empty otherwise).
    public var sampleMeasurements = SampleMeasurements()
    /// How many samples a measurement covered, for rows without an accuracy.
    public var measuredCount = 0
    /// The sweep value this row belongs to (`x=t` on `report` or `measure`), for `plot`.
    public var x: Double?
    /// Which line of a plot the row belongs to (`series="fixed"`); `nil` for the one unnamed line.
    public var series: String?
    /// How a targeted attack chose its targets (`target=random`); `nil` when untargeted.
    public var targetRule: String?
    /// Among clean-correct samples with a target, those predicted as the target after the
    /// attack; `nil` when untargeted.
    public var targetedSuccess: Proportion?

    /// The number of samples behind the row.
    public var n: Int { cleanAccuracy?.total ?? measuredCount }

    /// The named number `name` of the row, for `plot`: `x`, `n`, `clean_accuracy`,
    /// `robust_accuracy`, `attack_success` (fractions) or a measurement.
    public func number(named name: String) -> Double? {
        switch name {
        case "x": return x
        case "n": return Double(n)
        case "clean_accuracy": return cleanAccuracy?.estimate
        case "robust_accuracy": return robustAccuracy?.estimate
        case "attack_success": return attackSuccess?.estimate
        case "targeted_success": return targetedSuccess?.estimate
        default: return measurements.last { $0.name == name }?.value
        }
    }

    /// Every name `number(named:)` answers for this row.
    public var numberNames: [String] {
        var names = ["n"]
        if x != nil { names.append("x") }
        if cleanAccuracy != nil { names.append("clean_accuracy") }
        if robustAccuracy != nil { names += ["robust_accuracy", "attack_success"] }
        if targetedSuccess != nil { names.append("targeted_success") }
        return names + measurements.map(\.name)
    }

    /// The row as aligned `name  value` lines.
    var block: [String] {
        var lines: [(String, String)] = [("n", "\(n)")]
        if let cleanAccuracy, let robustAccuracy, let attackSuccess {
            lines += [("clean accuracy", cleanAccuracy.formatted), ("robust accuracy", robustAccuracy.formatted),
                      ("attack success", attackSuccess.formatted), ("threat model", threatModel ?? "–"),
                      ("attack", attack ?? "–")]
            if let targetRule, let targetedSuccess {
                lines += [("target", targetRule), ("targeted success", targetedSuccess.formatted)]
            }
        } else if let cleanAccuracy {
            lines.append(("accuracy", cleanAccuracy.formatted))
        }
        lines.append(("defense", defense))
        if let rule { lines.append(("evaluation", rule.description)) }
        lines += measurements.map { ($0.name, String(format: "%.4g", $0.value)) }
        let width = lines.map(\.0.count).max() ?? 0
        return [label] + lines.map { "  " + $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }
            + flags.map { "  " + $0.description }
    }
}

/// Rows of results: what `report` returns (one row) and `results` returns (every row of the
/// session). Prints one row as a block and several as an aligned table.
public final class ResultTable: RuntimeValue {
    /// The rows, in the order they were reported.
    public let rows: [ResultRow]

    /// Whether one row prints as a table too: `results` is always a table (a sweep of one
    /// is still a sweep); `report` and `measure` print their one row as a block.
    public let alwaysTable: Bool

    /// A table of `rows`.
    public init(rows: [ResultRow], alwaysTable: Bool = false) {
        self.rows = rows
        self.alwaysTable = alwaysTable
    }

    public var typeName: String { RuntimeKinds.table.name }

    public var description: String {
        if rows.count == 1 && !alwaysTable { return rows[0].block.joined(separator: "\n") }
        if rows.isEmpty { return "(no results)" }
        let attacked = rows.contains { $0.robustAccuracy != nil }
        let classified = rows.contains { $0.cleanAccuracy != nil }
        var header = ["result", "n"]
        if classified { header.append(attacked ? "clean acc" : "accuracy") }
        if attacked { header += ["robust acc", "attack success", "threat model"] }
        let measurementNames = rows.flatMap { $0.measurements.map(\.name) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        header += measurementNames + ["evaluation"]
        let body: [[String]] = rows.map { row in
            var cells = [row.label, "\(row.n)"]
            if classified { cells.append(row.cleanAccuracy.map(percent) ?? "–") }
            if attacked {
                cells += [row.robustAccuracy.map(percent) ?? "–", row.attackSuccess.map(percent) ?? "–", row.threatModel ?? "–"]
            }
            cells += measurementNames.map { name in row.measurements.first { $0.name == name }.map { String(format: "%.4g", $0.value) } ?? "–" }
            cells.append(row.rule?.description ?? "–")
            return cells
        }
        let widths = header.indices.map { column in ([header] + body).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        var lines = [line(header), line(widths.map { String(repeating: "-", count: $0) })] + body.map(line)
        let flagged = rows.filter { !$0.flags.isEmpty }
        for row in flagged { lines += row.flags.map { "\(row.label): \($0)" } }
        return lines.joined(separator: "\n")
    }

    private func percent(_ p: Proportion) -> String {
        guard let estimate = p.estimate else { return "–" }
        let (low, high) = p.wilson95
        return String(format: "%.1f%% [%.1f, %.1f]", estimate * 100, low * 100, high * 100)
    }
}
