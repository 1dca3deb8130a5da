// MARK: - What the checker knows about a value before running

/// A value as far as it is known before running: literals exactly, stage results by kind.
public indirect enum StaticValue: Sendable, Hashable {
    /// A number, with its value when computable from literals.
    case number(Double?)
    /// A string, with its text when it has no interpolation.
    case string(String?)
    /// A boolean.
    case bool
    /// A bare name.
    case name(String)
    /// A list, with its elements.
    case list([StaticValue])
    /// `none`.
    case none
    /// A runtime value of this kind (`.any` when unknown).
    case kind(DataKind)

    /// What is known about `value`.
    public init(_ value: Value) {
        switch value {
        case .number(let number): self = .number(number)
        case .string(let text): self = .string(text)
        case .bool: self = .bool
        case .name(let name): self = .name(name)
        case .list(let elements): self = .list(elements.map(StaticValue.init))
        case .none: self = .none
        case .runtime(let object): self = .kind(DataKind(object.typeName))
        }
    }

    /// The value with its literal contents forgotten: only its type is left (`the number 3` becomes
    /// `a number`), so loop elements of one type check the loop body once.
    public var abstracted: StaticValue {
        switch self {
        case .number: return .number(nil)
        case .string: return .string(nil)
        // A name may be one of a choice or not; unknown is the only type that never misleads.
        case .name: return .kind(.any)
        case .list(let elements): return .list(elements.map(\.abstracted))
        case .bool, .none, .kind: return self
        }
    }

    /// The kind a stage's input rule is matched against.
    public var kind: DataKind {
        switch self {
        case .number: return .number
        case .string: return .string
        case .bool: return .bool
        case .name: return .name
        case .list: return .list
        case .none: return .none
        case .kind(let kind): return kind
        }
    }

    /// "the number 3", "the name `pgd`", "a dataset", for mismatch messages.
    public var phrase: String {
        switch self {
        case .number(let number?): return "the number \(Value.format(number))"
        case .number(nil): return "a number"
        case .string: return "a string"
        case .bool: return "a boolean"
        case .name(let name): return "the name `\(name)`"
        case .list: return "a list"
        case .none: return "`none`"
        case .kind(let kind): return "a \(kind.name)"
        }
    }
}

/// Why a value does not fit a parameter: one sentence and perhaps a fix.
public struct TypeMismatch: Sendable, Equatable {
    /// What is wrong, to follow "parameter `x` of `stage` …".
    public var reason: String
    /// A likely fix.
    public var fix: String?
}

// MARK: - Conformance

/// The one set of rules deciding whether a value fits a parameter type and range;
/// the checker applies it to what it knows statically and the interpreter to actual values.
public enum TypeRules {
    /// Nil when `value` fits `parameter`, otherwise the reason.
    public static func mismatch(_ value: StaticValue, for parameter: Parameter) -> TypeMismatch? {
        if let problem = mismatch(value, type: parameter.type) { return problem }
        if !parameter.fileExtensions.isEmpty, case .string(let path?) = value {
            return fileExtensionMismatch(path, allowed: parameter.fileExtensions)
        }
        if let vocabulary = parameter.names { return vocabularyMismatch(value, vocabulary) }
        guard case .number(let number?) = value, parameter.type.isNumeric else { return nil }
        // `inf - inf` is NaN, which every comparison below would let through.
        if !number.isFinite {
            return TypeMismatch(reason: "must be a finite number, but is \(Value.format(number))")
        }
        if let minimum = parameter.minimum, number < minimum {
            return TypeMismatch(reason: "must be at least \(Value.format(minimum)), but is \(Value.format(number))")
        }
        if let maximum = parameter.maximum, number > maximum {
            return TypeMismatch(reason: "must be at most \(Value.format(maximum)), but is \(Value.format(number))",
                                fix: parameter.tooLargeHint)
        }
        return nil
    }

    /// Nil when `path` ends in one of the `allowed` extensions (compared ignoring case).
    static func fileExtensionMismatch(_ path: String, allowed: [String]) -> TypeMismatch? {
        let file = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        let pieces = file.split(separator: ".", omittingEmptySubsequences: false)
        let ext = pieces.count > 1 ? pieces.last.map { $0.lowercased() } ?? "" : ""
        if allowed.contains(ext) { return nil }
        let list = allowed.map { "." + $0 }
        let choices = list.count == 1 ? list[0] : list.dropLast().joined(separator: ", ") + " or " + (list.last ?? "")
        let found = ext.isEmpty ? "has no extension" : "ends in .\(ext)"
        // `out.jsn` → `out.json`; a missing extension has no spelling to correct.
        let fix = ext.isEmpty ? nil : Suggestion.closest(to: ext, among: allowed).map { "did you mean `\(file.dropLast(ext.count))\($0)`?" }
        return TypeMismatch(reason: "must name a file ending in \(choices), but `\(path)` \(found)", fix: fix)
    }

    /// Nil when every literal name in `value` (a name, a string, or a list of them) belongs to
    /// `vocabulary`; names only known when running (a loop variable) pass.
    static func vocabularyMismatch(_ value: StaticValue, _ vocabulary: NameVocabulary) -> TypeMismatch? {
        switch value {
        case .name(let name), .string(let name?): return vocabulary.mismatch(name)
        case .list(let elements): return elements.lazy.compactMap { vocabularyMismatch($0, vocabulary) }.first
        default: return nil
        }
    }

    /// Whether `text` reads as a number or a fraction of numbers (`32`, `8/255`, `1e-3`).
    static func looksNumeric(_ text: String) -> Bool {
        let parts = text.filter { $0 != " " }.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { Double($0) != nil }
    }

    /// Nil when `value` fits `type`, ignoring ranges.
    public static func mismatch(_ value: StaticValue, type: ParameterType) -> TypeMismatch? {
        if case .kind(.any) = value { return nil }
        let wrongType = TypeMismatch(reason: "expects \(type.phrase), but got \(value.phrase)")
        switch (type, value) {
        case (.any, _): return nil
        case (.number, .number): return nil
        case (.integer, .number(let number)):
            if let number, number.rounded() != number {
                return TypeMismatch(reason: "expects a whole number, but got \(Value.format(number))")
            }
            // Beyond 64 bits a whole number has no exact integer; refused here, a stage would
            // otherwise see no value and fall back to its default.
            if let number, Int(exactly: number) == nil {
                return TypeMismatch(reason: "must be a whole number from \(Int.min) to \(Int.max), but is \(Value.format(number))")
            }
            return nil
        case (.string, .string), (.string, .name), (.name, .name), (.name, .string): return nil
        case (.bool, .bool): return nil
        case (.number, .string(let text?)), (.integer, .string(let text?)):
            // `eps="8/255"`: a number written as a string, most likely by habit from other tools.
            guard Self.looksNumeric(text) else { return wrongType }
            return TypeMismatch(reason: wrongType.reason, fix: "write the number without quotes: `\(text)`")
        case (.choice(let names), .name(let name)), (.choice(let names), .string(let name?)):
            if names.contains(name) { return nil }
            return TypeMismatch(reason: "must be one of \(names.joined(separator: ", ")), but is `\(name)`",
                                fix: Suggestion.didYouMean(name, among: names))
        case (.choice, .string(nil)): return nil
        // `none` is also a keyword, so `grad=none` arrives as the none value.
        case (.choice(let names), .none) where names.contains("none"): return nil
        case (.list(let element), .list(let elements)):
            for item in elements { if let problem = mismatch(item, type: element) { return problem } }
            return nil
        case (.value(let kind), .kind(let actual)): return kind == actual ? nil : wrongType
        case (.oneOf(let types), _):
            var firstFix: TypeMismatch?
            for type in types {
                guard let problem = mismatch(value, type: type) else { return nil }
                // A number the one numeric alternative refuses: its reason is the useful one
                // (`seed=1e300` is too large, not "not fixed or random").
                if case .number = value, type.isNumeric, problem.reason != wrongTypeReason(value, type) {
                    return problem
                }
                if firstFix == nil, problem.fix != nil { firstFix = problem }
            }
            return TypeMismatch(reason: "expects \(type.phrase), but got \(value.phrase)", fix: firstFix?.fix)
        default: return wrongType
        }
    }
}

extension TypeRules {
    /// The plain "expects …, but got …" reason, to tell it from a more specific one.
    fileprivate static func wrongTypeReason(_ value: StaticValue, _ type: ParameterType) -> String {
        "expects \(type.phrase), but got \(value.phrase)"
    }
}

extension ParameterType {
    /// Whether ranges apply to this type.
    var isNumeric: Bool {
        switch self {
        case .number, .integer: return true
        case .oneOf(let types): return types.contains { $0.isNumeric }
        default: return false
        }
    }
}
