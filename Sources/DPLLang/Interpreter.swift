// MARK: - Runtime errors

/// An error while running that is the script's fault, at the place that caused it.
public struct RuntimeError: Error, CustomStringConvertible {
    /// One plain sentence.
    public let message: String
    /// Where it happened.
    public let span: SourceSpan

    /// Creates a runtime error.
    public init(_ message: String, at span: SourceSpan) {
        self.message = message
        self.span = span
    }

    /// `file:line:col message`.
    public var description: String { "\(span) \(message)" }
}

/// A value of the wrong kind piped into a stage, found while running.
struct StageInputMismatch: Error, CustomStringConvertible {
    let description: String
}

// MARK: - Interpreter

/// A tree-walking interpreter. Statements run in order; each result is printed as soon as it
/// exists, so a later failure leaves earlier output in place.
final class Interpreter {
    let registry: StageRegistry
    let settingsRegistry: SettingsRegistry
    let loader: SourceLoader
    let cancellation: Cancellation
    let output: (String) -> Void
    /// Current session settings, defaults included.
    var settings: [String: Value]
    /// Canonical paths of every file imported in the session.
    var imported: Set<String> = []
    /// The session's global scope.
    let globals = Environment()
    /// What ran, for provenance.
    let log = ScriptLog()
    /// The `def`s being expanded, outermost first.
    private var expansionStack: [String] = []
    /// The imports being run, outermost first, with the script that started them at the bottom.
    var importStack: [String] = []

    init(registry: StageRegistry, settings: SettingsRegistry, loader: SourceLoader,
         cancellation: Cancellation, output: @escaping (String) -> Void) {
        self.registry = registry
        self.settingsRegistry = settings
        self.loader = loader
        self.cancellation = cancellation
        self.output = output
        self.settings = settings.defaults
    }

    /// Runs a checked program in the global scope.
    func execute(_ program: Program) throws {
        importStack = loader.canonicalName(ofScript: program.source.name).map { [$0] } ?? []
        defer { importStack = [] }
        for statement in program.statements { try execute(statement, in: globals) }
    }

    // MARK: Statements

    /// Whether the pipeline's last stage is a built-in that says itself what it did (`save`
    /// prints `saved x.json`), so the value it passes on is not printed again.
    private func endsInStageThatReports(_ pipeline: Pipeline, in environment: Environment) -> Bool {
        guard let last = pipeline.allStages.last, environment.userStage(last.name) == nil,
              environment.lookup(last.name) == nil || !pipeline.stages.isEmpty else { return false }
        return registry.signature(named: last.name)?.reportsItself == true
    }

    private func execute(_ statement: Statement, in environment: Environment) throws {
        if cancellation.isCancelled { throw CancellationError() }
        switch statement {
        case .pipeline(let pipeline):
            let value = try evaluate(pipeline, in: environment)
            if !value.isNone && !endsInStageThatReports(pipeline, in: environment) { output(value.description) }
        case .letBinding(let binding):
            environment.define(binding.name, try evaluate(binding.value, in: environment))
        case .setting(let setting):
            let value = try evaluate(setting.value, in: environment)
            try assignSetting(setting.key, value, at: setting.value.span, keySpan: setting.keySpan)
        case .definition(let definition):
            environment.define(stage: UserStage(definition: definition, closure: environment))
        case .loop(let loop):
            let sequence = try evaluate(loop.sequence, in: environment, namesAllowed: false)
            guard case .list(let elements) = sequence else {
                throw RuntimeError("`for` needs a list to iterate over, but got \(StaticValue(sequence).phrase)", at: loop.sequence.span)
            }
            for element in elements {
                let body = Environment(parent: environment)
                body.define(loop.variable, element)
                for statement in loop.body { try execute(statement, in: body) }
            }
        case .importFile(let statement):
            try runImport(statement, in: environment)
        case .require:
            break  // The checker compared the version before anything ran.
        }
    }

    /// Validates and stores a setting; `set` and `--set` both come here.
    func assignSetting(_ key: String, _ value: Value, at span: SourceSpan, keySpan: SourceSpan) throws {
        guard let definition = settingsRegistry.definition(key) else {
            throw RuntimeError("unknown setting `\(key)`" + (Suggestion.didYouMean(key, among: settingsRegistry.names).map { "; \($0)" } ?? ""),
                               at: keySpan)
        }
        if let problem = TypeRules.mismatch(StaticValue(value), for: definition) {
            throw RuntimeError("setting `\(key)` \(problem.reason)", at: span)
        }
        settings[key] = value
    }

    /// Runs an imported file once per session. The checker refused cycles and non-scripts
    /// already; they are refused again because a file can change between check and run.
    private func runImport(_ statement: ImportStatement, in environment: Environment) throws {
        let path = loader.canonicalPath(loader.resolve(statement.path, relativeTo: statement.span.file))
        if let refusal = SourceLoader.importRefusal(path, written: statement.path) {
            throw RuntimeError(refusal, at: statement.pathSpan)
        }
        if let start = importStack.firstIndex(of: path) {
            throw RuntimeError("import cycle: \(Checker.describeImportCycle(importStack[start...] + [path])); a script cannot import itself, directly or through other scripts",
                               at: statement.pathSpan)
        }
        guard !imported.contains(path) else { return }
        imported.insert(path)
        let text: String
        do {
            text = try loader.read(path)
        } catch {
            throw RuntimeError("cannot read `\(statement.path)` (looked for \(path))", at: statement.pathSpan)
        }
        if let refusal = SourceLoader.binaryRefusal(text, written: statement.path) {
            throw RuntimeError(refusal, at: statement.pathSpan)
        }
        let (program, diagnostics) = Parser.parse(SourceFile(name: path, text: text))
        if let first = diagnostics.first {
            throw RuntimeError("`\(statement.path)` has errors: \(first)", at: statement.pathSpan)
        }
        log.record(script: ScriptLog.Script(name: statement.path, path: path, text: text, imported: true))
        importStack.append(path)
        defer { importStack.removeLast() }
        for statement in program.statements { try execute(statement, in: environment) }
    }

    // MARK: Pipelines

    /// Runs a pipeline: resolves its head, binds every stage (expanding `def`s), supplies the
    /// default source when the first stage needs input, and runs the chain.
    func evaluate(_ pipeline: Pipeline, in environment: Environment) throws -> Value {
        var (input, stages) = try resolve(pipeline.head, in: environment)
        for call in pipeline.stages {
            let bound = try bind(call, in: environment)
            if bound.source != nil {
                throw RuntimeError("stage `\(call.name)` starts with a value, so it can only start a pipeline", at: call.nameSpan)
            }
            stages += bound.stages
        }
        let run = PipelineRun()
        if input == nil, let first = stages.first, first.signature.input != .nothing {
            // The default source: the `data` setting, else a variable called `data`, else the
            // registry's (the shipped dataset), announced in one line.
            if let source = settings["data"] ?? environment.lookup("data") {
                input = source
            } else if let fallback = registry.defaultSource, let entry = registry.entry(named: fallback.stage) {
                let arguments = Self.fillingDefaults(fallback.arguments, of: entry.signature)
                stages.insert(BoundStage(signature: entry.signature, arguments: arguments, span: first.span, body: entry.body), at: 0)
                let context = StageContext(settings: settings, baseDirectory: loader.baseDirectory(of: pipeline.span.file),
                                           cancellation: cancellation, log: ScriptLog(), run: run, output: { _ in })
                let predicted = fallback.predict?(stages, context).map { ", \($0)" } ?? ""
                output("no input piped in and no `data` set: reading the default source, \(fallback.description)\(predicted) (`set data = …` or `let data = …` to choose)")
            } else {
                throw RuntimeError("stage `\(first.name)` needs input, but nothing is piped into it and there is no default source; pipe data in, or define it with `let data = …` or `set data = …`",
                                   at: first.span)
            }
        }
        guard !stages.isEmpty else { return input ?? .none }
        log.record(stages)
        let context = StageContext(settings: settings, baseDirectory: loader.baseDirectory(of: pipeline.span.file),
                                   cancellation: cancellation, log: log, run: run, output: output)
        return try BoundStage.runChain(stages, input: input, context: context)
    }

    /// A stage call bound to its implementation; a `def` call expands to its fragment's stages,
    /// and to a source value when its fragment starts with one.
    private func bind(_ call: StageCall, in environment: Environment) throws -> (source: Value?, stages: [BoundStage]) {
        if let userStage = environment.userStage(call.name) {
            // A `def` can be redefined after the checker saw it (the REPL), so the cycle and
            // depth checks are repeated here rather than trusted.
            if let start = expansionStack.firstIndex(of: call.name) {
                let cycle = (expansionStack[start...] + [call.name]).map { "`\($0)`" }.joined(separator: " → ")
                throw RuntimeError("`\(call.name)` calls itself (\(cycle)); a `def` cannot call itself, directly or through other `def`s",
                                   at: call.nameSpan)
            }
            guard expansionStack.count < Checker.maximumDefinitionDepth else {
                throw RuntimeError("`def` calls nest deeper than \(Checker.maximumDefinitionDepth) levels at `\(call.name)`; call fewer `def`s inside `def`s",
                                   at: call.nameSpan)
            }
            expansionStack.append(call.name)
            defer { expansionStack.removeLast() }
            return try expand(userStage, call: call, in: environment)
        }
        guard let entry = registry.entry(named: call.name) else {
            throw RuntimeError("unknown stage `\(call.name)`", at: call.nameSpan)
        }
        let signature = entry.signature
        let matching = ArgumentMatching(call, parameters: signature.parameters.map(\.name), positional: signature.positional)
        if let problem = matching.problems.first { throw problem.runtimeError }
        var arguments: [String: Value] = [:]
        for binding in matching.bindings {
            guard let parameter = signature.parameter(binding.name) else { continue }
            let value = try evaluate(binding.argument.value, in: environment, namesAllowed: true)
            if let problem = TypeRules.mismatch(StaticValue(value), for: parameter) {
                throw RuntimeError("parameter `\(binding.name)` of `\(call.name)` \(problem.reason)", at: binding.argument.value.span)
            }
            arguments[binding.name] = value
        }
        arguments = Self.fillingDefaults(arguments, of: signature)
        if let missing = signature.parameters.first(where: { $0.required && arguments[$0.name] == nil }) {
            throw RuntimeError("stage `\(call.name)` needs the argument `\(missing.name)`", at: call.nameSpan)
        }
        for binding in matching.bindings {
            guard let parameter = signature.parameter(binding.name), let condition = parameter.appliesWhen,
                  let message = signature.misapplied(parameter, deciding: arguments[condition.parameter]?.textValue) else { continue }
            throw RuntimeError(message, at: binding.argument.labelSpan)
        }
        return (nil, [BoundStage(signature: signature, arguments: arguments, span: call.span, body: entry.body)])
    }

    /// `arguments` with every parameter it lacks that has a default set to that default.
    static func fillingDefaults(_ arguments: [String: Value], of signature: StageSignature) -> [String: Value] {
        var filled = arguments
        for parameter in signature.parameters where filled[parameter.name] == nil {
            if let defaultValue = parameter.defaultValue { filled[parameter.name] = defaultValue.value }
        }
        return filled
    }

    private func expand(_ userStage: UserStage, call: StageCall, in environment: Environment) throws -> (source: Value?, stages: [BoundStage]) {
        let definition = userStage.definition
        let scope = Environment(parent: userStage.closure)
        let names = definition.parameters.map(\.name)
        let matching = ArgumentMatching(call, parameters: names, positional: names)
        if let problem = matching.problems.first { throw problem.runtimeError }
        var given: [String: Value] = [:]
        for binding in matching.bindings {
            given[binding.name] = try evaluate(binding.argument.value, in: environment, namesAllowed: true)
        }
        for parameter in definition.parameters {
            if let value = given[parameter.name] {
                scope.define(parameter.name, value)
            } else if let defaultValue = parameter.defaultValue {
                scope.define(parameter.name, try evaluate(defaultValue, in: userStage.closure, namesAllowed: true))
            } else {
                throw RuntimeError("stage `\(call.name)` needs the argument `\(parameter.name)`", at: call.nameSpan)
            }
        }
        var (source, stages) = try resolve(definition.body.head, in: scope)
        for inner in definition.body.stages { stages += try bind(inner, in: scope).stages }
        // `def f2 = f1 | f1`, `def f3 = f2 | f2`, …: the stages double at every level.
        guard stages.count <= Self.maximumExpandedStages else {
            throw RuntimeError("`\(call.name)` expands to more than \(Self.maximumExpandedStages) stages; a pipeline that long is a mistake, so call fewer `def`s inside `def`s",
                               at: call.nameSpan)
        }
        return (source, stages)
    }

    /// The most stages one `def` call may expand to.
    static let maximumExpandedStages = 10_000

    /// The start of a pipeline: an expression or a variable gives the value piped in; a stage
    /// call gives its bound stages (and the value a source stage starts with).
    private func resolve(_ head: PipelineHead, in environment: Environment) throws -> (source: Value?, stages: [BoundStage]) {
        switch head {
        case .expression(let expression):
            return (try evaluate(expression, in: environment, namesAllowed: false), [])
        case .stage(let call):
            if call.isBareName, let value = environment.lookup(call.name) { return (value, []) }
            let bound = try bind(call, in: environment)
            return (bound.source, bound.stages)
        }
    }

    // MARK: Expressions

    /// The value of `expression`. A lone word that is not a variable is a name where names are
    /// allowed (stage arguments) and an error elsewhere.
    func evaluate(_ expression: Expression, in environment: Environment, namesAllowed: Bool) throws -> Value {
        switch expression.kind {
        case .number(let value, _): return .number(value)
        case .bool(let flag): return .bool(flag)
        case .none: return .none
        case .name(let name): return .name(name)
        case .string(let literal):
            var text = ""
            for part in literal.parts {
                switch part {
                case .text(let piece): text += piece
                case .interpolation(let name, let span):
                    guard let value = environment.lookup(name) else {
                        throw RuntimeError("undefined variable `\(name)` in string", at: span)
                    }
                    text += value.description
                }
            }
            return .string(text)
        case .identifier(let name):
            if let value = environment.lookup(name) { return value }
            guard namesAllowed else { throw RuntimeError("undefined variable `\(name)`", at: expression.span) }
            return .name(name)
        case .list(let elements):
            return .list(try elements.map { try evaluate($0, in: environment, namesAllowed: namesAllowed) })
        case .group(let inner):
            return try evaluate(inner, in: environment, namesAllowed: namesAllowed)
        case .negate(let operand):
            let value = try evaluate(operand, in: environment, namesAllowed: false)
            guard case .number(let number) = value else {
                throw RuntimeError("`-` needs a number, but got \(StaticValue(value).phrase)", at: operand.span)
            }
            return .number(-number)
        case .binary(let op, let left, let right):
            let lhs = try evaluate(left, in: environment, namesAllowed: false)
            let rhs = try evaluate(right, in: environment, namesAllowed: false)
            switch (lhs, rhs) {
            case (.number(let a), .number(let b)):
                if op == .divide, b == 0 { throw RuntimeError("division by zero", at: right.span) }
                return .number(Arithmetic.apply(op, a, b))
            case (.string(let a), .string(let b)) where op == .add:
                return .string(a + b)
            default:
                throw RuntimeError("`\(op.rawValue)` needs two numbers, but got \(StaticValue(lhs).phrase) and \(StaticValue(rhs).phrase)",
                                   at: expression.span)
            }
        }
    }
}
