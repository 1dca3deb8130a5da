import Foundation
import DPLAttacks
import DPLLang

/// Result rows as CSV, for pandas, R or a spreadsheet (`pd.read_csv(path, comment="#")`):
///
/// - `perSample`: one line per sample — an attacked sample's clean and adversarial verdicts
///   and distances, a clean evaluation's prediction, and the per-sample values of `measure`
///   stages as extra columns, then `classify outputs=`'s one column per class (`logit_0`, …,
///   `probability_0`, …: the clean verdict's; `adversarial_logit_0`, …: an attacked sample's
///   adversarial verdict's); a line leaves empty what its sample does not have.
/// - `summary`: one line per result — label, sweep value and series, dataset, defense,
///   evaluation rule, attack and threat model, n, each accuracy with its count and 95% Wilson
///   bounds, and every summary measurement as a column.
///
/// Both start with `# dpl VERSION` and the provenance as `# provenance:` comment lines.
enum ResultCSV {
    /// One line per sample of every result.
    static func perSample(_ rows: [ResultRow], provenance: ProvenanceRecord? = nil) throws -> String {
        var lines = try header(provenance)
        let measurementColumns = unique(rows.flatMap { $0.sampleMeasurements.columns.map(\.name) })
        // As many columns of each kind of output as the widest row has classes: the clean
        // verdict's (a clean evaluation's prediction, an attacked sample's clean verdict), then
        // an attacked sample's adversarial verdict's.
        let clean = rows.flatMap { $0.predictions.compactMap(\.outputs) + $0.samples.compactMap { $0.outputs.map { ModelOutputs(kind: $0.kind, values: $0.clean) } } }
        let adversarial = rows.flatMap { $0.samples.compactMap { $0.outputs.map { ModelOutputs(kind: $0.kind, values: $0.adversarial) } } }
        func widths(_ outputs: [ModelOutputs]) -> [(ModelOutputs.Kind, Int)] {
            ModelOutputs.Kind.allCases.map { kind in (kind, outputs.filter { $0.kind == kind }.map(\.values.count).max() ?? 0) }
                .filter { $0.1 > 0 }
        }
        let (cleanWidths, adversarialWidths) = (widths(clean), widths(adversarial))
        let outputColumns = cleanWidths.flatMap { kind, classes in (0..<classes).map { kind.column($0) } }
            + adversarialWidths.flatMap { kind, classes in (0..<classes).map { kind.column($0, adversarial: true) } }
        func cells(_ outputs: ModelOutputs?, _ widths: [(ModelOutputs.Kind, Int)]) -> [String] {
            widths.flatMap { kind, classes in
                (0..<classes).map { c in
                    guard let outputs, outputs.kind == kind, c < outputs.values.count else { return "" }
                    return "\(outputs.values[c])"
                }
            }
        }
        func outputCells(clean: ModelOutputs?, adversarial: ModelOutputs? = nil) -> [String] {
            cells(clean, cleanWidths) + cells(adversarial, adversarialWidths)
        }
        let noOutputs = outputCells(clean: nil)
        lines.append((["result", "sample_id", "label", "clean_prediction", "adversarial_prediction", "clean_correct",
                       "robust_correct", "linf", "l2"] + measurementColumns + outputColumns).joined(separator: ","))
        for row in rows {
            let measured = row.sampleMeasurements
            var measuredIndex: [UInt64: Int] = [:]
            for (i, id) in measured.sampleIDs.enumerated() { measuredIndex[id] = i }
            func measurementCells(_ id: UInt64) -> [String] {
                measurementColumns.map { name in
                    guard let i = measuredIndex[id], let column = measured.columns.first(where: { $0.name == name }),
                          let value = column.values[i] else { return "" }
                    return "\(value)"
                }
            }
            var written = Set<UInt64>()
            for s in row.samples {
                written.insert(s.sampleID)
                lines.append(([quote(row.label), String(s.sampleID), "\(s.label)", "\(s.cleanPrediction)", "\(s.adversarialPrediction)",
                               "\(s.cleanCorrect)", "\(s.robustCorrect)", "\(s.linfDistance)", "\(s.l2Distance)"]
                              + measurementCells(s.sampleID)
                              + outputCells(clean: s.outputs.map { ModelOutputs(kind: $0.kind, values: $0.clean) },
                                            adversarial: s.outputs.map { ModelOutputs(kind: $0.kind, values: $0.adversarial) }))
                    .joined(separator: ","))
            }
            for p in row.predictions {
                written.insert(p.sampleID)
                lines.append(([quote(row.label), String(p.sampleID), "\(p.label)", "\(p.prediction)", "", "\(p.correct)", "", "", ""]
                              + measurementCells(p.sampleID) + outputCells(clean: p.outputs)).joined(separator: ","))
            }
            for (i, id) in measured.sampleIDs.enumerated() where !written.contains(id) {
                lines.append(([quote(row.label), String(id), "\(measured.labels[i])", "", "", "", "", "", ""]
                              + measurementCells(id) + noOutputs).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line per result.
    static func summary(_ rows: [ResultRow], provenance: ProvenanceRecord? = nil) throws -> String {
        var lines = try header(provenance)
        let measurementColumns = unique(rows.flatMap { $0.measurements.map(\.name) })
        let proportions: [(String, (ResultRow) -> Proportion?)] = [
            ("clean_accuracy", \.cleanAccuracy), ("robust_accuracy", \.robustAccuracy),
            ("attack_success", \.attackSuccess), ("targeted_success", \.targetedSuccess),
        ]
        let proportionColumns = proportions.flatMap { name, _ in [name, name + "_successes", name + "_low95", name + "_high95"] }
        lines.append((["result", "x", "series", "dataset", "defense", "evaluation", "attack", "threat_model", "target", "n"]
                      + proportionColumns + measurementColumns).joined(separator: ","))
        for row in rows {
            var cells = [quote(row.label), row.x.map { "\($0)" } ?? "", quote(row.series ?? ""), quote(row.dataset),
                         quote(row.defense), row.rule?.description ?? "", quote(row.attack ?? ""), quote(row.threatModel ?? ""),
                         quote(row.targetRule ?? ""), "\(row.n)"]
            for (_, value) in proportions {
                guard let p = value(row) else { cells += ["", "", "", ""]; continue }
                let (low, high) = p.wilson95
                cells += [p.estimate.map { "\($0)" } ?? "", "\(p.successes)", "\(low)", "\(high)"]
            }
            cells += measurementColumns.map { name in row.measurements.last { $0.name == name }.map { "\($0.value)" } ?? "" }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The summary file written beside `path`: `r.csv` → `r.summary.csv`.
    static func summaryPath(beside path: String) -> String {
        ((path as NSString).deletingPathExtension) + ".summary.csv"
    }

    private static func header(_ provenance: ProvenanceRecord?) throws -> [String] {
        var lines = ["# dpl \(DPLVersion.current)"]
        if let provenance { lines += try ProvenanceDocument.csvComment(provenance) }
        return lines
    }

    private static func unique(_ names: [String]) -> [String] {
        names.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    }

    private static func quote(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
