/// A stage's own check of how its arguments and its input go together, run by `dpl check`
/// before anything runs: what one parameter's type and range cannot say (`save "x.npy"` of a
/// batch must say which array; `classify` of 32×32 colour images cannot use a 28×28 model).
/// The language knows no tensors, so the runtime supplies the check with its signature.
public typealias StageCheck = @Sendable (StaticCall) -> [StaticProblem]

/// One stage call as the checker sees it: literal arguments, the kind piped in and the stages
/// before it in the same pipeline.
public struct StaticCall: Sendable {
    /// One earlier stage of the pipeline: its name and its arguments as written.
    public struct Upstream: Sendable {
        public let stage: String
        public let arguments: [String: StaticValue]

        public init(stage: String, arguments: [String: StaticValue]) {
            self.stage = stage
            self.arguments = arguments
        }
    }

    /// The stage's name.
    public let stage: String
    /// The arguments given, by parameter name, as written (defaults are not filled in).
    public let arguments: [String: StaticValue]
    /// What is piped in, when known.
    public let input: StaticValue?
    /// The earlier stages of the pipeline, first to last; the first is the source when the
    /// pipeline starts with one (the default source included). Empty when the pipeline
    /// starts with a variable or value, whose history the checker does not follow.
    public let upstream: [Upstream]
    /// The folder relative paths in the call are resolved against (the script's folder).
    public let folder: String
    /// The session settings known at this point (`set classifier = "…"` above the call).
    public let settings: [String: StaticValue]
    /// For an argument given as a variable (`model=m`), the stages that made the variable's
    /// value (`let m = model "x.safetensors"`), by parameter name.
    public let argumentHistories: [String: [Upstream]]

    public init(stage: String, arguments: [String: StaticValue], input: StaticValue?, upstream: [Upstream], folder: String,
                settings: [String: StaticValue] = [:], argumentHistories: [String: [Upstream]] = [:]) {
        self.settings = settings
        self.argumentHistories = argumentHistories
        self.stage = stage
        self.arguments = arguments
        self.input = input
        self.upstream = upstream
        self.folder = folder
    }

    /// The literal text of argument `name` (a string or a bare name), if given.
    public func text(_ name: String) -> String? { arguments[name]?.literalText }
}

extension StaticValue {
    /// The text of a literal string or bare name; nil for anything else or an interpolated string.
    public var literalText: String? {
        switch self {
        case .string(let text?): return text
        case .name(let text): return text
        default: return nil
        }
    }
}

/// What a `StageCheck` found: a sentence, the fix, and the argument it is about (reported at
/// that argument's value; at the stage's name when nil or not given).
public struct StaticProblem: Sendable, Equatable {
    public var message: String
    public var fix: String?
    public var parameter: String?

    public init(_ message: String, fix: String? = nil, at parameter: String? = nil) {
        self.message = message
        self.fix = fix
        self.parameter = parameter
    }
}
