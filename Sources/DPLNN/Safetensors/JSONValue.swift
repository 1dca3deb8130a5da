import Foundation

/// A parsed JSON value: safetensors headers (keys are tensor names) and DPL's results files
/// compared field by field (`dpl verify`). Foundation's `JSONDecoder` does the parsing —
/// exactly, unlike `JSONSerialization` on Linux, which reads some doubles one unit in the last
/// place off — and this type only gives it a dynamic shape.
public enum JSONValue: Codable, Equatable, Sendable {
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

    /// Encodes the value as the JSON it was read from (numbers in their shortest exact form).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let fields): try container.encode(fields)
        }
    }

    /// The field `key` of an object; nil for a missing key or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields[key]
    }

    /// The elements of an array, or nil.
    public var elements: [JSONValue]? {
        guard case .array(let values) = self else { return nil }
        return values
    }

    /// The text of a string, or nil.
    public var text: String? {
        guard case .string(let value) = self else { return nil }
        return value
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
}
