import Foundation
import DPLAttacks
import DPLLang

/// Serializes result rows: JSON with the summary and per-sample rows of every result, CSV with
/// one line per sample (summaries in `#` comment lines above the header).
enum ResultWriter {
    static func json(_ rows: [ResultRow]) -> String {
        let results: [[String: Any]] = rows.map { row in
            var object: [String: Any] = [
                "label": row.label, "dataset": row.dataset, "defense": row.defense, "evaluation": row.rule.description,
                "clean_accuracy": proportion(row.cleanAccuracy),
                "flags": row.flags.map { ["kind": $0.kind.rawValue, "message": $0.message] },
                "measurements": Dictionary(row.measurements.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
            ]
            if let robust = row.robustAccuracy { object["robust_accuracy"] = proportion(robust) }
            if let success = row.attackSuccess { object["attack_success"] = proportion(success) }
            if let threat = row.threatModel { object["threat_model"] = threat }
            if let attack = row.attack { object["attack"] = attack }
            object["samples"] = row.samples.map { sample -> [String: Any] in
                ["id": String(sample.sampleID), "label": sample.label, "clean_prediction": sample.cleanPrediction,
                 "adversarial_prediction": sample.adversarialPrediction, "clean_correct": sample.cleanCorrect,
                 "robust_correct": sample.robustCorrect, "linf": Double(sample.linfDistance), "l2": Double(sample.l2Distance)]
            }
            return object
        }
        let document: [String: Any] = ["dpl_version": Driver.version, "results": results]
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func csv(_ rows: [ResultRow]) -> String {
        var lines = ["# dpl \(Driver.version)"]
        for row in rows {
            var summary = "# \(row.label): clean \(row.cleanAccuracy.formatted)"
            if let robust = row.robustAccuracy { summary += ", robust \(robust.formatted)" }
            summary += "; defense: \(row.defense); eval \(row.rule)"
            if let attack = row.attack { summary += "; attack: \(attack) (\(row.threatModel ?? ""))" }
            lines.append(summary)
        }
        lines.append("result,sample_id,label,clean_prediction,adversarial_prediction,clean_correct,robust_correct,linf,l2")
        for row in rows {
            for s in row.samples {
                lines.append([quote(row.label), String(s.sampleID), "\(s.label)", "\(s.cleanPrediction)", "\(s.adversarialPrediction)",
                              "\(s.cleanCorrect)", "\(s.robustCorrect)", "\(s.linfDistance)", "\(s.l2Distance)"].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func proportion(_ p: Proportion) -> [String: Any] {
        let (low, high) = p.wilson95
        return ["value": p.estimate ?? NSNull(), "wilson95": [low, high], "successes": p.successes, "n": p.total]
    }

    private static func quote(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
