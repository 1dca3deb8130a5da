// MARK: - Runtime values from the layer below

/// A value the runtime layer produces (a dataset, a model, a batch, a table).
/// The language passes it along without looking inside.
public protocol RuntimeValue: AnyObject, CustomStringConvertible {
    /// The value's kind as stage signatures name it: "dataset", "batch", "table", ….
    var typeName: String { get }
}

// MARK: - Values

/// A value in a DPL program.
public enum Value: CustomStringConvertible {
    /// Every number is a double; integer parameters check that the value is whole.
    case number(Double)
    /// A string, interpolations already applied.
    case string(String)
    /// `true` or `false`.
    case bool(Bool)
    /// A bare name such as `pgd` or `fashion-mnist`, given where a stage expects a name.
    case name(String)
    /// `[a, b, c]`.
    case list([Value])
    /// The absence of a value; what a statement that prints or saves returns.
    case none
    /// A value made by the runtime.
    case runtime(any RuntimeValue)

    /// The kind a stage's input rule matches against.
    public var kind: DataKind {
        switch self {
        case .number: return .number
        case .string: return .string
        case .bool: return .bool
        case .name: return .name
        case .list: return .list
        case .none: return .none
        case .runtime(let value): return DataKind(value.typeName)
        }
    }

    /// The value as a script would write it; strings without quotes.
    public var description: String {
        switch self {
        case .number(let number): return Value.format(number)
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .name(let name): return name
        case .list(let elements): return "[" + elements.map(\.literal).joined(separator: ", ") + "]"
        case .none: return "none"
        case .runtime(let value): return value.description
        }
    }

    /// The value as a literal: strings quoted, everything else as `description`.
    public var literal: String {
        if case .string(let text) = self {
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return description
    }

    /// Whole numbers print without a fraction (`100`, not `100.0`); others in the shortest form.
    public static func format(_ number: Double) -> String {
        if number.isNaN { return "nan" }  // Not "-nan", which `inf - inf` prints.
        if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    // MARK: Accessors for stage implementations

    /// The number, if this is one.
    public var numberValue: Double? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// The number as an `Int`, if it is a whole number an `Int` holds exactly; nil otherwise.
    /// The type rules refuse any other number for an integer parameter, so a stage never
    /// mistakes a too-large argument for a missing one.
    public var integerValue: Int? {
        guard let number = numberValue else { return nil }
        return Int(exactly: number)
    }

    /// The text of a string or a name; stages that take a name accept either.
    public var textValue: String? {
        switch self {
        case .string(let text), .name(let text): return text
        default: return nil
        }
    }

    /// The flag, if this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The elements, if this is a list.
    public var listValue: [Value]? {
        if case .list(let elements) = self { return elements }
        return nil
    }

    /// The runtime value cast to `T`, if it is one.
    public func runtimeValue<T>(as type: T.Type) -> T? {
        if case .runtime(let value) = self { return value as? T }
        return nil
    }

    /// Whether this is `none`.
    public var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}
