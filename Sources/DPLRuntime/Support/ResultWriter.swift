import Foundation
import DPLAttacks
import DPLLang

/// Serializes result rows: JSON with the summary and per-sample rows of every result, CSV with
/// one line per sample (summaries in `#` comment lines above the header). Per-sample values of
/// `measure` stages become extra columns (CSV) or `sample_measurements` objects (JSON); a
/// sample's line holds its attack columns, its measurement columns, or both, and leaves the
/// others empty.
enum ResultWriter {
    /// The rows as a JSON document: `provenance` (what must match between two runs of the same
    /// experiment), `run` (what varies between them), and for a sharded run which shard it is
    /// (`"shard": {"index": K, "count": N}`); `dpl merge` reads it back (ResultReader).
    /// `extra` adds top-level entries (the provenance `dpl merge` copies from the shards).
    static func json(_ rows: [ResultRow], shard: ShardSpec? = nil, provenance: [String: Any]? = nil,
                     run: [String: Any]? = nil, extra: [String: Any] = [:]) -> String {
        let results: [[String: Any]] = rows.map { row in
            var object: [String: Any] = [
                "label": row.label, "dataset": row.dataset, "defense": row.defense, "n": row.n,
                "flags": row.flags.map { flag -> [String: Any] in
                    var object: [String: Any] = ["kind": flag.kind.rawValue, "message": flag.message]
                    // The ids let `dpl merge` recount a per-sample flag over all shards.
                    if !flag.sampleIDs.isEmpty { object["sample_ids"] = flag.sampleIDs.map(String.init) }
                    return object
                },
                "measurements": Dictionary(row.measurements.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
            ]
            if let rule = row.rule { object["evaluation"] = rule.description }
            if let clean = row.cleanAccuracy { object["clean_accuracy"] = proportion(clean) }
            if let x = row.x { object["x"] = x }
            if let series = row.series { object["series"] = series }
            if !row.sampleMeasurements.isEmpty {
                let measured = row.sampleMeasurements
                object["sample_measurements"] = measured.sampleIDs.indices.map { i -> [String: Any] in
                    var sample: [String: Any] = ["id": String(measured.sampleIDs[i]), "label": measured.labels[i]]
                    for column in measured.columns {
                        sample[column.name] = column.values[i] ?? NSNull()
                        if let pairs = column.pairs { sample[column.name + ResultWriter.pairsSuffix] = pairs[i].map { value -> Any in value ?? NSNull() } }
                    }
                    return sample
                }
            }
            if let robust = row.robustAccuracy { object["robust_accuracy"] = proportion(robust) }
            if let success = row.attackSuccess { object["attack_success"] = proportion(success) }
            if let threat = row.threatModel { object["threat_model"] = threat }
            if let attack = row.attack { object["attack"] = attack }
            if let targetRule = row.targetRule { object["target_rule"] = targetRule }
            if let targeted = row.targetedSuccess { object["targeted_success"] = proportion(targeted) }
            object["samples"] = row.samples.map { sample -> [String: Any] in
                var fields: [String: Any] = [
                    "id": String(sample.sampleID), "label": sample.label, "clean_prediction": sample.cleanPrediction,
                    "adversarial_prediction": sample.adversarialPrediction, "clean_correct": sample.cleanCorrect,
                    "robust_correct": sample.robustCorrect, "linf": Double(sample.linfDistance), "l2": Double(sample.l2Distance)]
                // A targeted attack's rows say what each sample aimed at (null: no target for it).
                if row.targetRule != nil { fields["target"] = sample.target ?? NSNull() }
                return fields
            }
            return object
        }
        var document: [String: Any] = ["dpl_version": DPLVersion.current, "results": results]
        if let shard { document["shard"] = ["index": shard.index, "count": shard.count] }
        if let provenance { document["provenance"] = provenance }
        if let run { document["run"] = run }
        document.merge(extra) { _, added in added }
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func csv(_ rows: [ResultRow], provenance: [String: Any]? = nil) -> String {
        var lines = ["# dpl \(DPLVersion.current)"]
        if let provenance { lines += ProvenanceDocument.csvComment(provenance) }
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

    /// The key suffix of a per-sample list of values (`compression_random_pairs`).
    static let pairsSuffix = "_pairs"

    private static func proportion(_ p: Proportion) -> [String: Any] {
        let (low, high) = p.wilson95
        return ["value": p.estimate ?? NSNull(), "wilson95": [low, high], "successes": p.successes, "n": p.total]
    }

    private static func quote(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
