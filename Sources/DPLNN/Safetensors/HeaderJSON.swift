import Foundation

/// A parsed JSON value, enough to walk a safetensors header whose keys are tensor names.
/// Foundation's `JSONDecoder` does the parsing; this type only gives it a dynamic shape.
enum HeaderJSON: Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([HeaderJSON])
    case object([String: HeaderJSON])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([HeaderJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: HeaderJSON].self)) }
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
