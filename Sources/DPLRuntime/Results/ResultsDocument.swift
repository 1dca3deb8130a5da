import Foundation
import DPLLang
import DPLNN

// MARK: - The results document

/// The JSON document `save "x.json"` writes: `dpl_version`, the `results`, for a sharded run
/// which `shard` it is, `provenance` (what must match between two runs of the same experiment)
/// and `run` (what varies between them). `dpl merge`, `dpl verify`, `dpl pack` and DPLKit read
/// it back through this one type; JSON is only ever written by `JSONEncoder` and read by
/// `JSONDecoder`, which parses numbers exactly (Foundation's `JSONSerialization` on Linux reads
/// some doubles one unit in the last place off, which made merged results differ).
public struct ResultsDocument: Codable, Equatable, Sendable {
    public var dplVersion: String
    public var results: [ResultRecord]
    public var shard: ShardRecord?
    public var provenance: ProvenanceRecord?
    public var run: RunRecord?

    enum CodingKeys: String, CodingKey { case dplVersion = "dpl_version", results, shard, provenance, run }

    public init(dplVersion: String = DPLVersion.current, results: [ResultRecord], shard: ShardRecord? = nil,
                provenance: ProvenanceRecord? = nil, run: RunRecord? = nil) {
        self.dplVersion = dplVersion
        self.results = results
        self.shard = shard
        self.provenance = provenance
        self.run = run
    }

    /// The document as pretty-printed JSON with sorted keys, ending in a line break.
    /// - Throws: `RuntimeError` when a value has no JSON form (a NaN or infinite number).
    public func json() throws -> String {
        String(decoding: try JSONCoding.encode(self, pretty: true), as: UTF8.self) + "\n"
    }

    /// The document in `data`; `file` names it in errors.
    /// - Throws: `RuntimeError` naming the file and the field that is missing or malformed.
    public static func read(_ data: Data, file: String) throws -> ResultsDocument {
        try JSONCoding.decode(ResultsDocument.self, from: data, file: file,
                              hint: "was the file written by `save \"….json\"` of DPL?")
    }

    /// The result rows this document holds; `file` names it in errors.
    /// - Throws: `RuntimeError` naming the result whose field is malformed.
    public func rows(file: String) throws -> [ResultRow] {
        try ResultReader.rows(of: self, file: file)
    }

    /// The document in the file at `path`.
    /// - Throws: `RuntimeError` when the file cannot be read or is not a results document.
    public static func read(path: String) throws -> ResultsDocument {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuntimeError("cannot read \(path); check that the file exists")
        }
        return try read(data, file: path)
    }
}

/// The one JSON encoder and decoder of saved results, with errors that name the file and the
/// field (`results[2].samples[5].label`).
enum JSONCoding {
    /// `value` as JSON with sorted keys: indented, or one line (for comment lines and metadata).
    static func encode<T: Encodable>(_ value: T, pretty: Bool) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch let EncodingError.invalidValue(value, context) {
            throw RuntimeError("cannot write \(path(context.codingPath)) = \(value) as JSON (\(context.debugDescription)); nothing was saved")
        }
    }

    /// `value` as one line of JSON with sorted keys.
    static func line<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encode(value, pretty: false), as: UTF8.self)
    }

    /// A `T` decoded from `data`; errors name `file`, the field, and end with `hint`.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String, hint: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            // Foundation reports a fraction where a whole number is needed as corrupt data with
            // no field; parsing the same bytes without a schema tells the two cases apart.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
               (try? JSONDecoder().decode(JSONValue.self, from: data)) != nil {
                throw RuntimeError("\(file): a field that must be a whole number holds a fraction or a number out of range; \(hint)")
            }
            throw RuntimeError("\(file): \(describe(error)); \(hint)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) is not \(noun(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null where \(noun(type)) is needed"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func noun(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is String.Type: return "text"
        case is Bool.Type: return "true or false"
        default: return type is [Any].Type ? "a list" : "an object of the expected form"
        }
    }

    /// `results[2].samples[5].label`, or `the document` at the top.
    static func path(_ keys: [CodingKey]) -> String {
        guard !keys.isEmpty else { return "the document" }
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" }
            else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return "`\(text)`"
    }
}
