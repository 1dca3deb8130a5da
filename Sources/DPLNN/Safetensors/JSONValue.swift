import Foundation

/// A parsed JSON value: safetensors headers (keys are tensor names) and DPL's results files.
/// Foundation's `JSONDecoder` does the parsing — exactly, unlike `JSONSerialization` on Linux,
/// which reads some doubles one unit in the last place off — and this type only gives it a
/// dynamic shape.
public enum JSONValue: Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes any JSON value.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// The value as a non-negative integer, if it is a whole number that fits exactly.
    var nonNegativeInteger: Int? {
        guard case .number(let value) = self, value >= 0, value == value.rounded(), value < 0x1p53 else { return nil }
        return Int(value)
    }

    /// The value as an array of non-negative integers, if it is one.
    var nonNegativeIntegers: [Int]? {
        guard case .array(let elements) = self else { return nil }
        let integers = elements.compactMap(\.nonNegativeInteger)
        return integers.count == elements.count ? integers : nil
    }

    /// The value as Foundation objects: `[String: Any]`, `[Any]`, `NSNumber`, `String`, `NSNull`.
    public var foundation: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let value): return value
        case .number(let value): return NSNumber(value: value)
        case .string(let value): return value
        case .array(let values): return values.map(\.foundation)
        case .object(let fields): return fields.mapValues(\.foundation)
        }
    }
}
