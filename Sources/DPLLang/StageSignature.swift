// MARK: - Kinds of data

/// The kind of value that flows between stages, named as users read it: "dataset", "batch",
/// "classified batch", "table". The runtime names its own kinds; the language only compares them.
public struct DataKind: Hashable, Sendable, CustomStringConvertible {
    /// The kind's name.
    public let name: String

    /// Creates a kind by name.
    public init(_ name: String) { self.name = name }

    /// The name, as messages show it.
    public var description: String { name }

    /// A number value.
    public static let number = DataKind("number")
    /// A string value.
    public static let string = DataKind("string")
    /// A boolean value.
    public static let bool = DataKind("bool")
    /// A bare name value.
    public static let name = DataKind("name")
    /// A list value.
    public static let list = DataKind("list")
    /// No value.
    public static let none = DataKind("none")
    /// Unknown until run time; matches any input rule at check time.
    public static let any = DataKind("any")
}

/// What a stage accepts as its piped-in input.
public enum InputRule: Sendable, Equatable {
    /// A source: it starts a pipeline and takes no input.
    case nothing
    /// One of these kinds.
    case kinds([DataKind])
    /// Any value.
    case anything

    /// Whether a value of `kind` may be piped in; `.any` passes because it is unknown.
    public func accepts(_ kind: DataKind) -> Bool {
        switch self {
        case .nothing: return false
        case .anything: return true
        case .kinds(let kinds): return kind == .any || kinds.contains(kind)
        }
    }

    /// "a dataset or a batch", for messages and help.
    public var description: String {
        switch self {
        case .nothing: return "nothing"
        case .anything: return "anything"
        case .kinds(let kinds): return kinds.map { "a \($0.name)" }.joined(separator: " or ")
        }
    }
}

// MARK: - Parameter types

/// The type of a stage parameter or a setting.
public indirect enum ParameterType: Sendable, Equatable, CustomStringConvertible {
    /// Any number.
    case number
    /// A whole number.
    case integer
    /// A string (a bare name is accepted and used as its text).
    case string
    /// `true` or `false`.
    case bool
    /// Any bare name or string, such as a dataset or model name.
    case name
    /// One of a fixed set of names: `sampler=ddpm|ddim|sde`.
    case choice([String])
    /// A list whose elements have the given type.
    case list(ParameterType)
    /// A runtime value of the given kind, such as a dataset.
    case value(DataKind)
    /// Any of several types: `seed=fixed|random` or an integer.
    case oneOf([ParameterType])
    /// Any value.
    case any

    /// How help and messages name the type: `number`, `ddpm|ddim|sde`, `fixed|random or integer`.
    public var description: String {
        switch self {
        case .number: return "number"
        case .integer: return "integer"
        case .string: return "string"
        case .bool: return "bool"
        case .name: return "name"
        case .choice(let names): return names.joined(separator: "|")
        case .list(let element): return "list of \(element)"
        case .value(let kind): return kind.name
        case .oneOf(let types): return types.map(\.description).joined(separator: " or ")
        case .any: return "any value"
        }
    }

    /// "a number", "one of ddpm, ddim, sde", for "expects …" messages.
    public var phrase: String {
        switch self {
        case .number: return "a number"
        case .integer: return "a whole number"
        case .string: return "a string"
        case .bool: return "`true` or `false`"
        case .name: return "a name"
        case .choice(let names): return "one of " + names.joined(separator: ", ")
        case .list(let element): return "a list of \(element)"
        case .value(let kind): return "a \(kind.name)"
        case .oneOf(let types): return types.map(\.phrase).joined(separator: " or ")
        case .any: return "a value"
        }
    }
}

// MARK: - Parameters

/// One parameter of a stage (or one session setting): its name, type, default, range and doc line.
public struct Parameter: Sendable, Equatable {
    /// The keyword used at call sites: `eps` in `eps=8/255`.
    public var name: String
    /// The accepted type.
    public var type: ParameterType
    /// The value used when the argument is left out; nil with `required` false means "absent".
    public var defaultValue: DefaultValue?
    /// Whether every call must give this argument.
    public var required: Bool
    /// The smallest allowed number, for numeric types.
    public var minimum: Double?
    /// The largest allowed number, for numeric types.
    public var maximum: Double?
    /// One line for help and docs/builtins.md.
    public var doc: String
    /// The fix shown when a number is above the maximum, for a mistake the range alone does
    /// not explain (`eps=8` meant as 8/255).
    public var tooLargeHint: String?
    /// For a file path: the extensions (without the dot) a literal path must end in, so that
    /// `save "out.txt"` is reported before the pipeline runs, not after a long attack. Empty
    /// for anything else.
    public var fileExtensions: [String]
    /// Whether the value is a path the stage writes, which the session's `WritePolicy`
    /// confines (a literal path is checked before anything runs).
    public var writesFile: Bool
    /// When the parameter means something only for some values of another one (`measure
    /// draws=` only for `what=spread`): giving it otherwise is an error — at check time when
    /// the other value is literal — rather than silently ignored.
    public var appliesWhen: ParameterCondition?
    /// How smoke mode (`dpl run --smoke`) shrinks the parameter; nil: it is left alone.
    public var smoke: SmokeLimit?
    /// Whether the value is a path the stage reads that nothing in a script creates (a
    /// dataset folder): a literal path that does not exist is a check error, before an hour of
    /// attacks runs ahead of it.
    public var mustExist: Bool
    /// For a name (or list of names) whose possible values are known before running but are
    /// not a `choice` (`plot y=` names a result row's field or measurement): any other name
    /// is a check error with a "did you mean". Nil for anything else.
    public var names: NameVocabulary?

    /// Creates a parameter. A parameter with a default is never required.
    public init(_ name: String, _ type: ParameterType, default defaultValue: DefaultValue? = nil,
                required: Bool = false, minimum: Double? = nil, maximum: Double? = nil, doc: String,
                tooLargeHint: String? = nil, fileExtensions: [String] = [], writesFile: Bool = false,
                appliesWhen: ParameterCondition? = nil, smoke: SmokeLimit? = nil, names: NameVocabulary? = nil,
                mustExist: Bool = false) {
        self.mustExist = mustExist
        self.names = names
        self.appliesWhen = appliesWhen
        self.smoke = smoke
        self.tooLargeHint = tooLargeHint
        self.fileExtensions = fileExtensions
        self.writesFile = writesFile
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required && defaultValue == nil
        self.minimum = minimum
        self.maximum = maximum
        self.doc = doc
    }

    /// The allowed range as text, such as `0…1`, `≥ 1`, or nil when unbounded.
    public var rangeDescription: String? {
        switch (minimum, maximum) {
        case let (low?, high?): return "\(Value.format(low))…\(Value.format(high))"
        case let (low?, nil): return "≥ \(Value.format(low))"
        case let (nil, high?): return "≤ \(Value.format(high))"
        case (nil, nil): return nil
        }
    }
}

/// "Parameter `parameter` has one of `values`" (text or name), for parameters that apply to
/// some choices of another only.
public struct ParameterCondition: Sendable, Equatable {
    /// The parameter whose value decides.
    public var parameter: String
    /// The values (as text) for which the condition holds.
    public var values: [String]

    /// `parameter` is one of `values`.
    public init(_ parameter: String, in values: [String]) {
        self.parameter = parameter
        self.values = values
    }

    /// Whether it holds for the bound arguments (defaults filled); false when `parameter` is
    /// absent or not text.
    public func holds(in arguments: [String: Value]) -> Bool {
        arguments[parameter]?.textValue.map(values.contains) ?? false
    }
}

/// How smoke mode shrinks one parameter, declared beside the parameter so every stage's
/// limits are in its signature (and `SmokeMode` applies them without knowing any stage).
public struct SmokeLimit: Sendable, Equatable {
    /// The change.
    public enum Rule: Sendable, Equatable {
        /// At most this many (attack steps, EOT draws, training epochs).
        case atMost(Int)
        /// At least the value of parameter `of` divided by `divisor` (the reverse SDE's `dt`
        /// grows with `t` so that it takes a bounded number of steps from the same start).
        case atLeast(of: String, dividedBy: Double)
        /// Always this value (`train resume=false`: a smoke run always trains).
        case always(DefaultValue)
    }

    public var rule: Rule
    /// Whether an absent argument is set too (an absent attack `steps` means pgd's 10 or
    /// apgd's 100; both shrink).
    public var whenAbsent: Bool
    /// Only when this holds (`purify t` is capped for `sampler=ddpm` only).
    public var condition: ParameterCondition?

    /// At most `limit`.
    public static func atMost(_ limit: Int, whenAbsent: Bool = false, when condition: ParameterCondition? = nil) -> SmokeLimit {
        SmokeLimit(rule: .atMost(limit), whenAbsent: whenAbsent, condition: condition)
    }

    /// At least the parameter `other` divided by `divisor`.
    public static func atLeast(_ other: String, dividedBy divisor: Double, when condition: ParameterCondition? = nil) -> SmokeLimit {
        SmokeLimit(rule: .atLeast(of: other, dividedBy: divisor), whenAbsent: false, condition: condition)
    }

    /// Always `value`.
    public static func always(_ value: DefaultValue) -> SmokeLimit {
        SmokeLimit(rule: .always(value), whenAbsent: true, condition: nil)
    }

    /// The argument in smoke mode, given the call's bound arguments as written (defaults
    /// filled, before any smoke limit: `atLeast` and conditions see the call's own values);
    /// nil when it stays absent.
    public func apply(to value: Value?, arguments: [String: Value]) -> Value? {
        if let condition, !condition.holds(in: arguments) { return value }
        switch rule {
        case .atMost(let limit):
            guard let given = value?.integerValue else { return whenAbsent && value == nil ? .number(Double(limit)) : value }
            return .number(Double(min(given, limit)))
        case .atLeast(let other, let divisor):
            guard let given = value?.numberValue, let base = arguments[other]?.numberValue else { return value }
            return .number(max(given, base / divisor))
        case .always(let fixed):
            return fixed.value
        }
    }
}

/// A default that can be stored in a `Sendable` signature (runtime values cannot).
public enum DefaultValue: Sendable, Equatable, CustomStringConvertible {
    /// A number.
    case number(Double)
    /// A string.
    case string(String)
    /// A boolean.
    case bool(Bool)
    /// A bare name.
    case name(String)
    /// A list of defaults.
    case list([DefaultValue])

    /// The default as a `Value`.
    public var value: Value {
        switch self {
        case .number(let number): return .number(number)
        case .string(let text): return .string(text)
        case .bool(let flag): return .bool(flag)
        case .name(let name): return .name(name)
        case .list(let elements): return .list(elements.map(\.value))
        }
    }

    /// The default as a script would write it.
    public var description: String { value.literal }
}

// MARK: - Stage signatures

/// Everything the checker, help and completion know about a stage, without its implementation.
public struct StageSignature: Sendable {
    /// The name scripts call the stage by.
    public var name: String
    /// One line saying what the stage does.
    public var doc: String
    /// What may be piped in.
    public var input: InputRule
    /// The kind of value the stage produces (`.any` when it depends on the input).
    public var output: DataKind
    /// The parameters, in the order help lists them.
    public var parameters: [Parameter]
    /// Parameters that may be given without a keyword, in order: `attack pgd` fills `method`.
    public var positional: [String]
    /// Whether the stage receives the rest of its pipeline and runs it itself, as `attack` does
    /// to optimize against the composition of everything after it.
    public var attacksDownstream: Bool
    /// Whether the stage prints what it did and what it passes on (`save` prints `saved x.json`,
    /// and the value unless it is a table already shown), so a statement ending in it does not
    /// print the value again (`results | save "r.json"` shows one line, not the table again).
    public var reportsItself: Bool
    /// The stage's own check of how its arguments and input go together, run by the checker
    /// after each argument passed its own checks; nil when there is nothing more to check.
    public var check: StageCheck?

    /// Creates a signature.
    public init(name: String, doc: String, input: InputRule, output: DataKind,
                parameters: [Parameter] = [], positional: [String] = [], attacksDownstream: Bool = false,
                reportsItself: Bool = false, check: StageCheck? = nil) {
        self.check = check
        self.reportsItself = reportsItself
        self.name = name
        self.doc = doc
        self.input = input
        self.output = output
        self.parameters = parameters
        self.positional = positional
        self.attacksDownstream = attacksDownstream
    }

    /// The parameter called `name`, if any.
    public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }

    /// The error for `parameter` given to a call whose `deciding` value (the condition
    /// parameter's text) makes it meaningless, or nil when it applies (or cannot be known).
    public func misapplied(_ parameter: Parameter, deciding value: String?) -> String? {
        guard let condition = parameter.appliesWhen, let value, !condition.values.contains(value) else { return nil }
        // `measure spread`, where the deciding parameter is positional; `purify sampler=ddim` otherwise.
        let call = { (choice: String) in
            self.positional.first == condition.parameter ? "`\(self.name) \(choice)`" : "`\(self.name) \(condition.parameter)=\(choice)`"
        }
        return "\(call(value)) takes no `\(parameter.name)=`; it belongs to " + condition.values.map(call).joined(separator: " and ")
    }

    /// A one-line synopsis: `attack method [eps=number] …`.
    public var synopsis: String {
        var parts = [name]
        for name in positional { parts.append(name) }
        for parameter in parameters where !positional.contains(parameter.name) {
            let item = "\(parameter.name)=\(parameter.type)"
            parts.append(parameter.required ? item : "[\(item)]")
        }
        return parts.joined(separator: " ")
    }
}
