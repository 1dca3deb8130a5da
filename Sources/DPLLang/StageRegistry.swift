import Foundation

// MARK: - What a stage implementation receives

/// The session around a running stage: settings, where output goes, and cancellation.
public final class StageContext {
    /// Session settings at the time the stage runs (`batch`, `seed`, `out`, …), defaults applied.
    public let settings: [String: Value]
    /// The folder relative paths resolve against: the running script's folder.
    public let baseDirectory: String
    /// What the session ran so far (scripts, `--set` assignments, stage invocations), for provenance.
    public let log: ScriptLog
    /// The pipeline run this context serves. The default source's announcement times the
    /// pipeline in a silent context of its own before the run's context exists; both share
    /// the run, so what the announcement measured is found again by the running stages.
    public let run: PipelineRun
    private let output: (String) -> Void
    private let cancellation: Cancellation

    /// Creates a context (for a new run unless `run` is given).
    public init(settings: [String: Value], baseDirectory: String, cancellation: Cancellation,
                log: ScriptLog = ScriptLog(), run: PipelineRun = PipelineRun(), output: @escaping (String) -> Void) {
        self.settings = settings
        self.baseDirectory = baseDirectory
        self.log = log
        self.run = run
        self.cancellation = cancellation
        self.output = output
    }

    /// Prints one line of results where the session shows output.
    public func print(_ line: String) { output(line) }

    /// Throws `CancellationError` once the user pressed Ctrl-C; long stages call it every step
    /// (attack iteration, reverse diffusion step, training step), not only between batches.
    public func checkCancellation() throws {
        if cancellation.isCancelled { throw CancellationError() }
    }
}

/// The identity of one pipeline's run, shared by the contexts made for it.
public final class PipelineRun: @unchecked Sendable {
    public init() {}
}

/// A flag the REPL sets from its Ctrl-C handler and stages poll.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    /// Creates an unset flag.
    public init() {}

    /// Whether cancellation was requested since the last `reset()`.
    public var isCancelled: Bool { lock.withLock { cancelled } }

    /// Requests cancellation of the running pipeline.
    public func cancel() { lock.withLock { cancelled = true } }

    /// Clears the flag before the next statement runs.
    public func reset() { lock.withLock { cancelled = false } }
}

/// The error a stage throws when the user cancelled it.
public struct CancellationError: Error, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    /// "cancelled".
    public var description: String { "cancelled" }
}

/// A stage implementation: input (nil for a source stage), arguments with defaults applied,
/// the rest of the pipeline (only for `attacksDownstream` stages, else empty) and the context.
public typealias StageBody = (_ input: Value?, _ arguments: [String: Value], _ downstream: [BoundStage],
                              _ context: StageContext) throws -> Value

// MARK: - Bound stages

/// A stage call with its arguments resolved, ready to run; what an attack receives for each
/// stage after it (with `def` stages already expanded into their fragments).
public struct BoundStage {
    /// The stage's signature.
    public let signature: StageSignature
    /// The arguments, defaults applied, every `def` parameter substituted.
    public let arguments: [String: Value]
    /// Where the call is in the script, for errors.
    public let span: SourceSpan
    let body: StageBody

    /// The stage's name.
    public var name: String { signature.name }

    /// The same call (arguments and place) bound to the stage of the same name in `registry`,
    /// or nil when it has none: how `dpl estimate` swaps a pipeline's bodies for counting ones.
    public func rebound(to registry: StageRegistry) -> BoundStage? {
        guard let entry = registry.entry(named: name) else { return nil }
        return BoundStage(signature: entry.signature, arguments: arguments, span: span, body: entry.body)
    }

    /// Runs this one stage; an attack passes the stages after this one as `downstream`
    /// when this stage itself `attacksDownstream`. Errors come back as `StageFailure` at `span`.
    public func run(input: Value?, downstream: [BoundStage] = [], context: StageContext) throws -> Value {
        do {
            try context.checkCancellation()
            if let input, !signature.input.accepts(input.kind) {
                throw StageInputMismatch(description: signature.input == .nothing
                    ? "it starts a pipeline and takes no input"
                    : "it needs \(signature.input.description) as input, but received \(StaticValue(input).phrase)")
            }
            return try body(input, arguments, signature.attacksDownstream ? downstream : [], context)
        } catch let failure as StageFailure {
            throw failure
        } catch let cancel as CancellationError {
            throw cancel
        } catch {
            throw StageFailure(stage: name, span: span, underlying: error)
        }
    }

    /// Runs `stages` in order, as the interpreter does: a stage that attacks downstream gets
    /// the stages after it and its result ends the chain.
    public static func runChain(_ stages: [BoundStage], input: Value?, context: StageContext) throws -> Value {
        var value = input
        var index = stages.startIndex
        while index < stages.endIndex {
            let stage = stages[index]
            if stage.signature.attacksDownstream {
                return try stage.run(input: value, downstream: Array(stages[(index + 1)...]), context: context)
            }
            value = try stage.run(input: value, context: context)
            index += 1
        }
        return value ?? .none
    }
}

/// A stage that failed while running: which stage, where it is called, and why.
public struct StageFailure: Error, CustomStringConvertible {
    /// The failing stage's name.
    public let stage: String
    /// Where the failing call is in the script.
    public let span: SourceSpan
    /// What the implementation threw.
    public let underlying: Error

    /// `file:line:col stage `purify` failed: <reason>`.
    public var description: String { "\(span) stage `\(stage)` failed: \(underlying)" }
}

// MARK: - Registry

/// The one list of stages: each signature with its implementation.
/// The checker, interpreter, help, completion and docs/builtins.md all read it.
public struct StageRegistry {
    /// A stage as registered.
    public struct Entry {
        /// What the checker and help know.
        public let signature: StageSignature
        /// What runs.
        public let body: StageBody
    }

    /// Raised when a stage is registered twice or its signature contradicts itself.
    public struct RegistrationError: Error, CustomStringConvertible {
        /// What is wrong with the registration.
        public let description: String
    }

    /// Where a pipeline reads from when its first stage needs input, nothing is piped in and
    /// no `data` is set or defined: a call of a registered stage, so that the language's
    /// defining line, `attack pgd eps=8/255 | purify t=100 seed=fixed | classify`, runs as typed.
    public struct DefaultSource {
        /// The stage that produces the data (`load`).
        public let stage: String
        /// Its arguments; the stage's defaults fill the rest.
        public let arguments: [String: Value]
        /// What it reads, for the line printed when it is used ("fashion-mnist, test split").
        public let description: String
        /// The pipeline's predicted run time, for that line ("about 3 min 10 s"); nil when it
        /// cannot be predicted. Receives the pipeline's stages, the default source first.
        public let predict: (([BoundStage], StageContext) -> String?)?

        /// A default source calling `stage` with `arguments`.
        public init(stage: String, arguments: [String: Value], description: String,
                    predict: (([BoundStage], StageContext) -> String?)? = nil) {
            self.stage = stage
            self.arguments = arguments
            self.description = description
            self.predict = predict
        }
    }

    private var entries: [String: Entry] = [:]

    /// The default source, if the runtime names one (the checker and interpreter fall back to
    /// it after the `data` setting and a variable called `data`).
    public var defaultSource: DefaultSource?

    /// Where scripts may write: the checker refuses literal paths outside it for parameters
    /// that write files, and the runtime enforces the same policy on every write.
    public var writePolicy = WritePolicy()

    /// What the stages forget when the session is reset (the REPL's `:reset`): the runtime's
    /// reported results, cached models and datasets.
    public var onReset: (() -> Void)?

    /// An empty registry; the runtime layer registers the built-in stages into it.
    public init() {}

    /// Adds a stage. Fails on a duplicate name or a positional name that is not a parameter.
    public mutating func register(_ signature: StageSignature, body: @escaping StageBody) throws {
        guard entries[signature.name] == nil else {
            throw RegistrationError(description: "stage `\(signature.name)` is registered twice")
        }
        for name in signature.positional where signature.parameter(name) == nil {
            throw RegistrationError(description: "stage `\(signature.name)` lists positional `\(name)`, which is not one of its parameters")
        }
        entries[signature.name] = Entry(signature: signature, body: body)
    }

    /// The stage called `name`, if registered.
    public func entry(named name: String) -> Entry? { entries[name] }

    /// The signature of the stage called `name`, if registered.
    public func signature(named name: String) -> StageSignature? { entries[name]?.signature }

    /// Every stage name, sorted; for completion and help.
    public var stageNames: [String] { entries.keys.sorted() }

    /// Every signature, sorted by name.
    public var signatures: [StageSignature] { stageNames.compactMap { entries[$0]?.signature } }

    /// The parameter names of stage `name` (empty when unknown); for completion.
    public func parameterNames(ofStage name: String) -> [String] {
        entries[name]?.signature.parameters.map(\.name) ?? []
    }
}
