import Foundation
import DPLNN
import DPLAttacks
import DPLLang

/// Reads a results JSON document (ResultWriter's format) back into result rows, so `dpl merge`
/// can combine shards with the same code that wrote them. Summaries are read only to be
/// checked; the merge recomputes them from the per-sample values and counts.
enum ResultReader {
    /// The rows of `document`'s `results`; `file` names the document in errors.
    /// - Throws: `RuntimeError` naming the file and the entry that is missing or malformed.
    static func rows(of document: [String: Any], file: String) throws -> [ResultRow] {
        guard let results = document["results"] as? [[String: Any]] else {
            throw RuntimeError("\(file) has no `results` list; give dpl merge the .json files `save` wrote")
        }
        return try results.enumerated().map { position, object in
            try row(object, reader: FieldReader(file: file, place: "result \(position + 1)"))
        }
    }

    private static func row(_ object: [String: Any], reader: FieldReader) throws -> ResultRow {
        let rule = try (object["evaluation"] as? String).map { text -> EvaluationRule in
            do { return try EvaluationRule(parsing: text) } catch { throw reader.error("has an unknown evaluation rule `\(text)`") }
        }
        var row = ResultRow(
            label: try reader.string(object, "label"), dataset: try reader.string(object, "dataset"),
            defense: try reader.string(object, "defense"), rule: rule,
            cleanAccuracy: try proportion(object, "clean_accuracy", reader), robustAccuracy: try proportion(object, "robust_accuracy", reader),
            attackSuccess: try proportion(object, "attack_success", reader), threatModel: object["threat_model"] as? String,
            attack: object["attack"] as? String, flags: try flags(object, reader), samples: try samples(object, reader))
        row.measurements = ((object["measurements"] as? [String: Any]) ?? [:]).sorted { $0.key < $1.key }
            .compactMap { key, value in (value as? NSNumber).map { (key, $0.doubleValue) } }
        row.sampleMeasurements = try sampleMeasurements(object, reader)
        if row.measurements.contains(where: { $0.name == SampleMeasurements.compressionSkipped }) {
            row.sampleMeasurements.skippedName = SampleMeasurements.compressionSkipped
        }
        if row.cleanAccuracy == nil { row.measuredCount = try reader.integer(object, "n") }
        row.x = (object["x"] as? NSNumber)?.doubleValue
        row.series = object["series"] as? String
        row.targetRule = object["target_rule"] as? String
        row.targetedSuccess = try proportion(object, "targeted_success", reader)
        return row
    }

    private static func proportion(_ object: [String: Any], _ key: String, _ reader: FieldReader) throws -> Proportion? {
        guard let value = object[key] else { return nil }
        guard let fields = value as? [String: Any] else { throw reader.error("has a malformed `\(key)`") }
        return Proportion(try reader.integer(fields, "successes"), of: try reader.integer(fields, "n"))
    }

    private static func flags(_ object: [String: Any], _ reader: FieldReader) throws -> [SanityFlag] {
        try ((object["flags"] as? [[String: Any]]) ?? []).map { flag in
            let kindName = try reader.string(flag, "kind")
            guard let kind = SanityFlag.Kind(rawValue: kindName) else { throw reader.error("has an unknown flag kind `\(kindName)`") }
            let ids = try ((flag["sample_ids"] as? [Any]) ?? []).map { try reader.sampleID($0) }
            return SanityFlag(kind: kind, message: try reader.string(flag, "message"), sampleIDs: ids)
        }
    }

    private static func samples(_ object: [String: Any], _ reader: FieldReader) throws -> [SampleRow] {
        try ((object["samples"] as? [[String: Any]]) ?? []).map { sample in
            var row = SampleRow(sampleID: try reader.sampleID(sample["id"] as Any), label: try reader.integer(sample, "label"),
                                cleanPrediction: try reader.integer(sample, "clean_prediction"),
                                adversarialPrediction: try reader.integer(sample, "adversarial_prediction"),
                                cleanCorrect: try reader.bool(sample, "clean_correct"), robustCorrect: try reader.bool(sample, "robust_correct"),
                                linfDistance: Float(try reader.number(sample, "linf")), l2Distance: Float(try reader.number(sample, "l2")))
            row.target = (sample["target"] as? NSNumber)?.intValue
            return row
        }
    }

    /// Per-sample measurement columns, in name order (the JSON object does not keep the order).
    private static func sampleMeasurements(_ object: [String: Any], _ reader: FieldReader) throws -> SampleMeasurements {
        guard let samples = object["sample_measurements"] as? [[String: Any]], let first = samples.first else { return SampleMeasurements() }
        var measured = SampleMeasurements(sampleIDs: try samples.map { try reader.sampleID($0["id"] as Any) },
                                          labels: try samples.map { try reader.integer($0, "label") })
        let names = first.keys.filter { $0 != "id" && $0 != "label" && !$0.hasSuffix(ResultWriter.pairsSuffix) }.sorted()
        for name in names {
            let values = try samples.map { try optionalNumber($0[name], name, reader) }
            let pairs = try first[name + ResultWriter.pairsSuffix].map { _ in
                try samples.map { sample -> [Double?] in
                    guard let list = sample[name + ResultWriter.pairsSuffix] as? [Any] else {
                        throw reader.error("has a sample without `\(name + ResultWriter.pairsSuffix)`")
                    }
                    return try list.map { try optionalNumber($0, name, reader) }
                }
            }
            measured.append(SampleMeasurements.Column(name: name, values: values, pairs: pairs))
        }
        return measured
    }

    private static func optionalNumber(_ value: Any?, _ name: String, _ reader: FieldReader) throws -> Double? {
        if value is NSNull { return nil }
        guard let number = value as? NSNumber else { throw reader.error("has a sample whose `\(name)` is not a number") }
        return number.doubleValue
    }
}

/// JSON parsed with every number exact. Foundation's `JSONSerialization` on Linux can parse a
/// number one unit in the last place off (measured: "0.9959384799003601" came back as
/// ...598), which would make merged results differ from unsharded ones; `JSONDecoder` parses
/// exactly. Objects become `[String: Any]`, arrays `[Any]`, numbers `NSNumber`, `null` `NSNull`.
enum ExactJSON {
    /// The document in `data`, as Foundation objects.
    static func parse(_ data: Data) throws -> Any { try JSONDecoder().decode(JSONValue.self, from: data).foundation }
}

/// Typed access to one result's JSON fields, with errors naming the file and the result.
private struct FieldReader {
    let file: String
    let place: String

    func error(_ problem: String) -> RuntimeError {
        RuntimeError("\(file): \(place) \(problem); was the file written by `save` of this DPL version?")
    }

    func string(_ object: [String: Any], _ key: String) throws -> String {
        guard let value = object[key] as? String else { throw error("has no text `\(key)`") }
        return value
    }

    func number(_ object: [String: Any], _ key: String) throws -> Double {
        guard let value = object[key] as? NSNumber else { throw error("has no number `\(key)`") }
        return value.doubleValue
    }

    func integer(_ object: [String: Any], _ key: String) throws -> Int {
        guard let value = object[key] as? NSNumber, let whole = Int(exactly: value.doubleValue) else {
            throw error("has no whole number `\(key)`")
        }
        return whole
    }

    func bool(_ object: [String: Any], _ key: String) throws -> Bool {
        guard let value = object[key] as? Bool else { throw error("has no true/false `\(key)`") }
        return value
    }

    func sampleID(_ value: Any) throws -> UInt64 {
        guard let text = value as? String, let id = UInt64(text) else { throw error("has a sample id that is not a decimal number") }
        return id
    }
}
