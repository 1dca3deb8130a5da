import Foundation
import DPLAttacks
import DPLLang

/// Serializes result rows: JSON with the summary and per-sample rows of every result, CSV with
/// one line per sample (summaries in `#` comment lines above the header). Per-sample values of
/// `measure` stages become extra columns (CSV) or `sample_measurements` objects (JSON); a
/// sample's line holds its attack columns, its measurement columns, or both, and leaves the
/// others empty.
enum ResultWriter {
    /// The rows as a results document (`ResultsDocument`): `provenance` (what must match
    /// between two runs of the same experiment), `run` (what varies between them), and for a
    /// sharded run which shard it is; `dpl merge` reads it back (ResultReader).
    /// - Throws: `RuntimeError` when a value has no JSON form; nothing is written then.
    static func json(_ rows: [ResultRow], shard: ShardSpec? = nil, provenance: ProvenanceRecord? = nil,
                     run: RunRecord? = nil) throws -> String {
        try ResultsDocument(results: rows.map(ResultRecord.init), shard: shard.map { ShardRecord(index: $0.index, count: $0.count) },
                            provenance: provenance, run: run).json()
    }

    static func csv(_ rows: [ResultRow], provenance: ProvenanceRecord? = nil) throws -> String {
        var lines = ["# dpl \(DPLVersion.current)"]
        if let provenance { lines += try ProvenanceDocument.csvComment(provenance) }
        for row in rows {
            var summary = "# \(row.label): n \(row.n)"
            if let clean = row.cleanAccuracy { summary += ", clean \(clean.formatted)" }
            if let robust = row.robustAccuracy { summary += ", robust \(robust.formatted)" }
            summary += "; defense: \(row.defense)"
            if let rule = row.rule { summary += "; eval \(rule)" }
            if let attack = row.attack { summary += "; attack: \(attack) (\(row.threatModel ?? ""))" }
            for measurement in row.measurements { summary += "; \(measurement.name) \(measurement.value)" }
            lines.append(summary)
        }
        let measurementColumns = rows.flatMap { $0.sampleMeasurements.columns.map(\.name) }
            .reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        lines.append((["result", "sample_id", "label", "clean_prediction", "adversarial_prediction", "clean_correct",
                       "robust_correct", "linf", "l2"] + measurementColumns).joined(separator: ","))
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
                              + measurementCells(s.sampleID)).joined(separator: ","))
            }
            guard !measured.isEmpty else { continue }
            for (i, id) in measured.sampleIDs.enumerated() where !written.contains(id) {
                lines.append(([quote(row.label), String(id), "\(measured.labels[i])", "", "", "", "", "", ""]
                              + measurementCells(id)).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func quote(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
