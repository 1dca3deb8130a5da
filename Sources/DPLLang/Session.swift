// MARK: - Outcomes

/// How running or checking a script ended; the command line maps it to an exit code
/// (DPLCommandLine's `ExitCode`).
public enum Outcome {
    /// Everything ran.
    case success
    /// The script did not parse or check; nothing ran.
    case scriptErrors(DiagnosticReport)
    /// A statement failed while running; statements before it ran and printed their results.
    case runtimeFailure(DiagnosticReport)
    /// The user stopped a running statement (Ctrl-C); statements before it ran. Not an error
    /// in the script, so the REPL just returns to its prompt.
    case cancelled(DiagnosticReport)

    /// Whether everything ran.
    public var succeeded: Bool {
        if case .success = self { return true }
        return false
    }

    /// The rendered diagnostics, or nil on success.
    public var errorText: String? {
        switch self {
        case .success: return nil
        case .scriptErrors(let report), .runtimeFailure(let report), .cancelled(let report): return report.rendered
        }
    }
}

// MARK: - Session

/// One interpreter session: the stages, settings, variables and imports that persist between
/// scripts or REPL lines. The command line, the REPL and tests all drive the language through it.
public final class Session {
    /// The stages this session can run.
    public let registry: StageRegistry
    /// The settings `set` may change.
    public let settingsRegistry: SettingsRegistry
    /// Set from a Ctrl-C handler to stop the running statement.
    public let cancellation = Cancellation()
    private let loader: SourceLoader
    private let interpreter: Interpreter

    /// Creates a session.
    /// - Parameters:
    ///   - registry: the stages, as the runtime registered them.
    ///   - output: receives each printed result line.
    public init(registry: StageRegistry, settings: SettingsRegistry = .standard,
                loader: SourceLoader = .fileSystem, output: @escaping (String) -> Void = { Swift.print($0) }) {
        self.registry = registry
        self.settingsRegistry = settings
        self.loader = loader
        self.interpreter = Interpreter(registry: registry, settings: settings, loader: loader,
                                       cancellation: cancellation, output: output)
    }

    // MARK: Running

    /// Parses, checks and, when both pass, runs `source` in this session.
    public func run(_ source: SourceFile) -> Outcome {
        let (program, parseErrors) = Parser.parse(source)
        var sources = [source.name: source]
        if let refusal = versionRefusal(program, source: source) { return refusal }
        if !parseErrors.isEmpty { return .scriptErrors(DiagnosticReport(diagnostics: parseErrors, sources: sources)) }
        let checker = makeChecker()
        let checkErrors = checker.check(program, environment: interpreter.globals)
        sources.merge(checker.sources) { first, _ in first }
        if !checkErrors.isEmpty { return .scriptErrors(DiagnosticReport(diagnostics: checkErrors, sources: sources)) }
        cancellation.reset()
        if source.name != Self.settingSourceName {
            let path = source.name.hasPrefix("<") ? source.name : loader.resolve(source.name, relativeTo: "<command line>")
            interpreter.log.record(script: ScriptLog.Script(name: source.name, path: path, text: source.text, imported: false))
        }
        do {
            try interpreter.execute(program)
            return .success
        } catch {
            let report = DiagnosticReport(diagnostics: [Self.diagnostic(for: error, in: source)], sources: sources)
            return Self.isCancellation(error) ? .cancelled(report) : .runtimeFailure(report)
        }
    }

    /// Runs `text` as a script named `name`.
    public func run(_ text: String, name: String = "<input>") -> Outcome {
        run(SourceFile(name: name, text: text))
    }

    /// Parses and checks `source` without running anything.
    public func check(_ source: SourceFile) -> Outcome {
        let (program, parseErrors) = Parser.parse(source)
        if let refusal = versionRefusal(program, source: source) { return refusal }
        let checker = makeChecker()
        // Check even a file with parse errors so one pass shows every problem.
        let checkErrors = checker.check(program, environment: interpreter.globals)
        var sources = checker.sources
        sources[source.name] = source
        // A check error on a line with a parse error is most likely its consequence.
        let brokenLines = Set(parseErrors.map { BrokenLine(file: $0.span.file, line: $0.span.line) })
        let all = parseErrors + checkErrors.filter { !brokenLines.contains(BrokenLine(file: $0.span.file, line: $0.span.line)) }
        return all.isEmpty ? .success : .scriptErrors(DiagnosticReport(diagnostics: all, sources: sources))
    }

    /// A line of a file that has a parse error.
    private struct BrokenLine: Hashable {
        let file: String
        let line: Int
    }

    /// The refusal of a script whose `require` this DPL does not satisfy; its other errors are
    /// left out, since they most likely come from what the newer DPL added.
    private func versionRefusal(_ program: Program, source: SourceFile) -> Outcome? {
        let refusals = Checker.versionRefusals(in: program)
        guard !refusals.isEmpty else { return nil }
        return .scriptErrors(DiagnosticReport(diagnostics: refusals, sources: [source.name: source]))
    }

    private func makeChecker() -> Checker {
        Checker(registry: registry, settings: settingsRegistry, loader: loader,
                settingValues: interpreter.settings, imported: interpreter.imported)
    }

    /// Whether `error` is the user's Ctrl-C, directly or as the cause of a stage's failure.
    private static func isCancellation(_ error: Error) -> Bool {
        if error is CancellationError { return true }
        if let failure = error as? StageFailure { return failure.underlying is CancellationError }
        return false
    }

    private static func diagnostic(for error: Error, in source: SourceFile) -> Diagnostic {
        switch error {
        case let error as RuntimeError: return Diagnostic(error.message, at: error.span)
        case let failure as StageFailure:
            return Diagnostic("stage `\(failure.stage)` failed: \(failure.underlying)", at: failure.span)
        case is CancellationError:
            return Diagnostic("cancelled", at: SourceSpan(file: source.name, line: 1, column: 1, length: 1))
        default:
            return Diagnostic("\(error)", at: SourceSpan(file: source.name, line: 1, column: 1, length: 1))
        }
    }

    // MARK: Settings

    /// Applies `key=value` from the command line (`--set batch=32`); the value is DPL syntax.
    public func applySetting(_ assignment: String) -> Outcome {
        let source = SourceFile(name: Self.settingSourceName, text: assignment)
        guard let equals = assignment.firstIndex(of: "=") else {
            let span = SourceSpan(file: source.name, line: 1, column: 1, length: max(1, assignment.utf8.count))
            return .scriptErrors(DiagnosticReport(diagnostics: [Diagnostic("expected `key=value` after --set", at: span)],
                                                  sources: [source.name: source]))
        }
        let key = assignment[..<equals].trimmingCharacters(in: .whitespaces)
        let outcome = run(SourceFile(name: Self.settingSourceName, text: "set \(key) = " + assignment[assignment.index(after: equals)...]))
        if case .success = outcome { interpreter.log.record(settingAssignment: assignment) }
        return outcome
    }

    /// The name `--set` assignments run under; they are logged as assignments, not scripts.
    static let settingSourceName = "<--set>"


    /// The current settings, defaults included.
    public var settings: [String: Value] { interpreter.settings }

    /// What this session ran: scripts, imports, `--set` assignments and stage invocations.
    public var log: ScriptLog { interpreter.log }

    // MARK: Session state

    /// Forgets every variable, definition, setting and import (`:reset` in the REPL).
    public func reset() {
        interpreter.globals.removeAll()
        interpreter.settings = settingsRegistry.defaults
        interpreter.imported = []
        interpreter.log.reset()
        // The stages' own memory too: `results` after `:reset` must not show older rows.
        registry.onReset?()
    }

    /// The global variables and their values, for `:vars`.
    public var variables: [String: Value] { interpreter.globals.allVariables }

    // MARK: Completion

    /// Variable names in scope, sorted.
    public var variableNames: [String] { interpreter.globals.allVariables.keys.sorted() }

    /// Stage names: the registry's and every `def` made in the session, sorted.
    public var stageNames: [String] {
        Array(Set(registry.stageNames + interpreter.globals.allUserStages.keys)).sorted()
    }

    /// Parameter names of the stage or `def` called `stage`.
    public func parameterNames(ofStage stage: String) -> [String] {
        if let userStage = interpreter.globals.allUserStages[stage] {
            return userStage.definition.parameters.map(\.name)
        }
        return registry.parameterNames(ofStage: stage)
    }

    /// The names `set` accepts.
    public var settingNames: [String] { settingsRegistry.names }

    // MARK: Multi-line input

    /// Whether `text` stops mid-statement (an open bracket, brace or parenthesis, or a trailing `|`),
    /// so a line-by-line reader should read another line before running it.
    public static func needsMoreInput(_ text: String) -> Bool {
        var state = PendingStatement()
        state.append(text)
        return state.needsMoreInput
    }

    /// A statement being read line by line, tracked as its lines arrive: each line is lexed
    /// once, so deciding after every line whether the statement is complete stays linear in
    /// its length (rescanning everything pending made 10,000 lines take 20 seconds).
    public struct PendingStatement {
        private var depth = 0
        private var last: TokenKind = .newline

        /// An empty statement.
        public init() {}

        /// Takes in one or more whole lines. Tokens never span lines (strings and comments end
        /// at the line break), so lexing lines one at a time sees the same tokens.
        public mutating func append(_ lines: String) {
            var lexer = Lexer(file: SourceFile(name: "<input>", text: lines))
            for token in lexer.tokenize() {
                switch token.kind {
                case .leftParen, .leftBracket, .leftBrace: depth += 1
                case .rightParen, .rightBracket, .rightBrace: depth -= 1
                default: break
                }
                if token.kind != .newline, token.kind != .comment, token.kind != .endOfFile { last = token.kind }
            }
        }

        /// Whether the lines so far stop mid-statement.
        public var needsMoreInput: Bool { depth > 0 || last == .pipe }
    }
}

import Foundation
