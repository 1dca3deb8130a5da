import Foundation

// MARK: - Checker scopes

/// What the checker knows about a scope: variables' static values and `def` stages.
final class CheckScope {
    let parent: CheckScope?
    var variables: [String: StaticValue] = [:]
    /// The stages of the pipeline a `let` bound each variable to (`let data = load cifar10`),
    /// for the stage checks of pipelines that start with it.
    var histories: [String: [StaticCall.Upstream]] = [:]
    var definitions: [String: CheckedDefinition] = [:]
    /// For the outermost scope: what earlier statements of the session (REPL lines, standard
    /// input) left behind. It is looked up by name when used, not copied in for every
    /// statement, so a session of 10,000 statements is not checked in quadratic time.
    private let session: Environment?
    private let summarizeSessionDefinition: ((UserStage, CheckScope) -> CheckedDefinition)?

    init(parent: CheckScope? = nil) {
        self.parent = parent
        self.session = nil
        self.summarizeSessionDefinition = nil
    }

    init(session: Environment, summarize: @escaping (UserStage, CheckScope) -> CheckedDefinition) {
        self.parent = nil
        self.session = session
        self.summarizeSessionDefinition = summarize
    }

    func variable(_ name: String) -> StaticValue? {
        variables[name] ?? parent?.variable(name) ?? session?.lookup(name).map(StaticValue.init)
    }

    /// The pipeline behind variable `name`, from the scope that defines it (a loop variable or
    /// `def` parameter of the same name hides an outer `let`'s).
    func history(_ name: String) -> [StaticCall.Upstream]? {
        variables[name] != nil ? histories[name] : parent?.history(name)
    }

    func definition(_ name: String) -> CheckedDefinition? {
        if let definition = definitions[name] ?? parent?.definition(name) { return definition }
        guard let stage = session?.userStage(name), let summarizeSessionDefinition else { return nil }
        // Not cached in `definitions`: the summary refers back to this scope.
        return summarizeSessionDefinition(stage, self)
    }

    var variableNames: [String] {
        Array(variables.keys) + (parent?.variableNames ?? []) + (session.map { Array($0.allVariables.keys) } ?? [])
    }

    var definitionNames: [String] {
        Array(definitions.keys) + (parent?.definitionNames ?? []) + (session.map { Array($0.allUserStages.keys) } ?? [])
    }
}

/// A `def` body checked with given parameter values, from inside the given `def`s.
struct DefinitionCallKey: Hashable {
    let stack: [String]
    let definition: SourceSpan
    let values: [StaticValue]
}

/// A `def` as the checker sees it: parameters, what it accepts and produces, and its body.
struct CheckedDefinition {
    let statement: DefStatement
    let input: InputRule
    let output: DataKind
    /// The scope the `def` was made in, whose names its body sees. Unowned: that scope holds
    /// this definition, so a strong reference made a cycle and every checked `def` leaked its
    /// scope (found by LeakSanitizer in the fuzz harness). The checker keeps every such scope
    /// alive for as long as it lives (`Checker.definitionScopes`).
    unowned let scope: CheckScope
}

// MARK: - Checker

/// Finds every error a script would hit before anything runs: unknown stages, parameters and
/// settings, wrong types, out-of-range values, missing arguments, stages whose input cannot
/// come from the stage before, and undefined variables.
public final class Checker {
    private let registry: StageRegistry
    private let settings: SettingsRegistry
    private let loader: SourceLoader
    private var knownSettings: [String: StaticValue]
    private var imported: Set<String>
    /// Everything found, in the order found.
    public private(set) var diagnostics: [Diagnostic] = []
    /// Every file read, for showing source lines.
    public private(set) var sources: [String: SourceFile] = [:]
    /// Suppresses structural errors while a `def` body is re-checked with a call's values.
    private var reportedKeys: Set<String> = []
    /// `reportedKeys` in the order added, so a `def` call can take back what its body added.
    private var reportedKeyOrder: [String] = []
    /// The DPL version `require` statements are compared against.
    private let runningVersion: String
    /// How many times the loop bodies around the statement being checked are checked (the
    /// product of their distinct bindings).
    private var loopBodyInstances = 1
    /// Beyond this many instances of one loop body, loop elements are checked by type alone.
    static let maximumLoopBodyInstances = 256
    /// The `def`s whose bodies are being checked, outermost first, to find one that calls itself.
    private var definitionStack: [String] = []
    /// Calls of `def`s inside `def`s deeper than this are an error, in the checker and when running,
    /// so a long chain of `def`s cannot exhaust the stack.
    public static let maximumDefinitionDepth = 100
    /// Where each entry of `definitionStack` was called (or defined, for the outermost).
    private var definitionCallSites: [SourceSpan] = []
    /// The errors of `def` bodies already checked with given values; emptied before every
    /// statement, since a statement may change what a body sees.
    private var definitionCallMemo: [DefinitionCallKey: [Diagnostic]] = [:]
    /// The first call found beyond `maximumDefinitionDepth`.
    private var depthLimitError: Diagnostic?
    /// The imports being checked, outermost first, to name an import cycle.
    private var importStack: [String] = []
    /// Every scope a `CheckedDefinition` refers to (unowned, to break the scope → definition →
    /// scope cycle), kept alive here until the checker goes.
    private var definitionScopes: [ObjectIdentifier: CheckScope] = [:]

    /// Creates a checker.
    /// - Parameters:
    ///   - settingValues: settings already set in the session (`--set`, earlier REPL lines).
    ///   - imported: canonical paths already imported in the session, which are not read again.
    ///   - runningVersion: the version `require` compares against; tests pass another.
    public init(registry: StageRegistry, settings: SettingsRegistry, loader: SourceLoader,
                settingValues: [String: Value] = [:], imported: Set<String> = [],
                runningVersion: String = DPLVersion.current) {
        self.runningVersion = runningVersion
        self.registry = registry
        self.settings = settings
        self.loader = loader
        self.knownSettings = settingValues.mapValues(StaticValue.init)
        self.imported = imported
    }

    /// Checks `program` against what the session's `environment` already holds.
    public func check(_ program: Program, environment: Environment? = nil) -> [Diagnostic] {
        // The script itself is the bottom of the import stack, so importing it back is a cycle.
        importStack = loader.canonicalName(ofScript: program.source.name).map { [$0] } ?? []
        let scope: CheckScope
        if let environment {
            // A session `def` sees the session's variables and `def`s, as it does when it runs.
            // Unowned: the checker keeps this scope (`definitionScopes`), so a strong capture is a cycle.
            scope = CheckScope(session: environment) { [unowned self] stage, root in self.summarize(stage.definition, in: root) }
        } else {
            scope = CheckScope()
        }
        check(program, scope: scope)
        if let depthLimitError {
            record(depthLimitError)
            self.depthLimitError = nil
        }
        return diagnostics
    }

    /// Checks `program` in `scope` (internal so tests can watch the scope's lifetime).
    func check(_ program: Program, scope: CheckScope) {
        sources[program.source.name] = program.source
        // A script for another DPL likely uses what this one lacks; its other errors would only be noise.
        let refusals = Self.versionRefusals(in: program, runningVersion: runningVersion)
        guard refusals.isEmpty else {
            for refusal in refusals { record(refusal) }
            return
        }
        for statement in program.statements { check(statement, in: scope, file: program.source) }
    }

    // MARK: Statements

    private func check(_ statement: Statement, in scope: CheckScope, file: SourceFile) {
        definitionCallMemo.removeAll(keepingCapacity: true)
        switch statement {
        case .pipeline(let pipeline):
            _ = check(pipeline, in: scope, fragment: false)
        case .letBinding(let binding):
            var history: [StaticCall.Upstream] = []
            scope.variables[binding.name] = check(binding.value, in: scope, fragment: false, history: &history)
            scope.histories[binding.name] = history
        case .setting(let setting):
            checkSet(setting, in: scope)
        case .definition(let definition):
            let checked = summarize(definition, in: scope)
            let bodyScope = CheckScope(parent: scope)
            for parameter in definition.parameters {
                if let value = parameter.defaultValue { _ = evaluate(value, in: scope, namesAllowed: true) }
                bodyScope.variables[parameter.name] = .kind(.any)
            }
            definitionStack.append(definition.name)
            definitionCallSites.append(definition.nameSpan)
            _ = check(definition.body, in: bodyScope, fragment: true)
            definitionCallSites.removeLast()
            definitionStack.removeLast()
            scope.definitions[definition.name] = checked
        case .loop(let loop):
            checkLoop(loop, in: scope, file: file)
        case .importFile(let statement):
            checkImport(statement, in: scope, importer: file)
        case .require:
            break  // Checked for the whole program before its statements (`versionRefusals`).
        }
    }

    // MARK: Version requirements

    /// A diagnostic for each `require` at the top of `program` that `runningVersion` does not satisfy.
    /// Sessions call this first so a script for a newer DPL is refused with this message alone,
    /// before its parse errors.
    public static func versionRefusals(in program: Program, runningVersion: String = DPLVersion.current) -> [Diagnostic] {
        var refusals: [Diagnostic] = []
        // Only the leading ones: a misplaced `require` is a syntax error, reported as such.
        for statement in program.statements {
            guard case .require(let statement) = statement else { break }
            let requirement = statement.requirement
            guard let running = SemanticVersion(runningVersion) else {
                refusals.append(Diagnostic("cannot check `require`: this DPL's version `\(runningVersion)` is not a version of 1 to 3 numbers",
                                           at: statement.span))
                continue
            }
            let failed = requirement.failedClauses(for: running)
            guard !failed.isEmpty else { continue }
            refusals.append(Diagnostic("this script requires dpl \(requirement), but this is dpl \(runningVersion)",
                                       at: statement.span, fix: upgradeAdvice(failed, running: running)))
        }
        return refusals
    }

    /// "install a newer DPL" when only lower bounds failed, "an older" when only upper bounds did.
    private static func upgradeAdvice(_ failed: [VersionRequirement.Clause], running: SemanticVersion) -> String {
        let wantsNewer = failed.allSatisfy { clause in
            switch clause.comparison {
            case .atLeast, .greater: return true
            case .equal: return clause.version > running
            case .atMost, .less, .notEqual: return false
            }
        }
        let wantsOlder = failed.allSatisfy { clause in
            switch clause.comparison {
            case .atMost, .less: return true
            case .equal: return clause.version < running
            case .atLeast, .greater, .notEqual: return false
            }
        }
        if wantsNewer { return "install a newer DPL" }
        if wantsOlder { return "install an older DPL" }
        return "install a DPL that satisfies it"
    }

    private func checkSet(_ setting: SetStatement, in scope: CheckScope) {
        let value = check(setting.value, in: scope, fragment: false)
        guard let definition = settings.definition(setting.key) else {
            report("unknown setting `\(setting.key)`", at: setting.keySpan,
                   fix: Suggestion.didYouMean(setting.key, among: settings.names))
            return
        }
        if let problem = TypeRules.mismatch(value, for: definition) {
            report("setting `\(setting.key)` \(problem.reason)", at: setting.value.span, fix: problem.fix)
        }
        knownSettings[setting.key] = value
    }

    private func checkLoop(_ loop: ForStatement, in scope: CheckScope, file: SourceFile) {
        let sequence = evaluate(loop.sequence, in: scope, namesAllowed: false)
        var bindings: [StaticValue]
        switch sequence {
        case .list(let elements) where !elements.isEmpty && elements.count <= 16:
            // Each element is checked separately so `t=2000` beyond a range is caught for that element.
            bindings = elements
        case .list(let elements):
            bindings = [elements.first ?? .kind(.any)]
        case .kind:
            bindings = [.kind(.any)]
        default:
            report("`for` needs a list to iterate over, but got \(sequence.phrase)", at: loop.sequence.span)
            bindings = [.kind(.any)]
        }
        // Loops inside loops multiply: k nested loops of 16 elements would check the innermost
        // body 16^k times. Past a budget, elements keep only their types, so the body is checked
        // once per distinct type environment (the run still checks each value).
        if loopBodyInstances * bindings.count > Self.maximumLoopBodyInstances {
            bindings = bindings.map(\.abstracted)
        }
        var seen: Set<StaticValue> = []
        bindings = bindings.filter { seen.insert($0).inserted }
        let outerInstances = loopBodyInstances
        loopBodyInstances *= bindings.count
        defer { loopBodyInstances = outerInstances }
        for binding in bindings {
            let body = CheckScope(parent: scope)
            body.variables[loop.variable] = binding
            for statement in loop.body { check(statement, in: body, file: file) }
        }
    }

    private func checkImport(_ statement: ImportStatement, in scope: CheckScope, importer: SourceFile) {
        let path = loader.canonicalPath(loader.resolve(statement.path, relativeTo: importer.name))
        if let refusal = SourceLoader.importRefusal(path, written: statement.path) {
            report(refusal, at: statement.pathSpan)
            return
        }
        if let start = importStack.firstIndex(of: path) {
            report("import cycle: \(Self.describeImportCycle(importStack[start...] + [path])); a script cannot import itself, directly or through other scripts",
                   at: statement.pathSpan)
            return
        }
        guard !imported.contains(path) else { return }
        imported.insert(path)
        let text: String
        do {
            text = try loader.read(path)
        } catch {
            report("cannot read `\(statement.path)` (looked for \(path))", at: statement.pathSpan)
            return
        }
        if let refusal = SourceLoader.binaryRefusal(text, written: statement.path) {
            report(refusal, at: statement.pathSpan)
            return
        }
        importStack.append(path)
        defer { importStack.removeLast() }
        let source = SourceFile(name: path, text: text)
        let (program, parseErrors) = Parser.parse(source)
        sources[path] = source
        if Self.versionRefusals(in: program, runningVersion: runningVersion).isEmpty {
            for diagnostic in parseErrors { record(diagnostic) }
        }
        check(program, scope: scope)
    }

    /// `main.dpl` → `lib.dpl` → `main.dpl`: the files of an import cycle by name.
    static func describeImportCycle<Paths: Sequence<String>>(_ paths: Paths) -> String {
        paths.map { "`\(URL(fileURLWithPath: $0).lastPathComponent)`" }.joined(separator: " → ")
    }

    /// A `def`'s interface: the input rule of its first stage and the output kind of its last.
    private func summarize(_ definition: DefStatement, in scope: CheckScope) -> CheckedDefinition {
        let parameterNames = Set(definition.parameters.map(\.name))
        func isVariable(_ call: StageCall) -> Bool {
            call.isBareName && (parameterNames.contains(call.name) || scope.variable(call.name) != nil)
        }
        func interface(of call: StageCall) -> (InputRule, DataKind)? {
            if let signature = registry.signature(named: call.name) { return (signature.input, signature.output) }
            if let inner = scope.definition(call.name) { return (inner.input, inner.output) }
            return nil
        }
        var input = InputRule.nothing
        if case .stage(let head) = definition.body.head, !isVariable(head), let (rule, _) = interface(of: head) {
            input = rule
        }
        var output = DataKind.any
        if let last = definition.body.stages.last, let (_, kind) = interface(of: last) {
            output = kind
        } else if case .stage(let head) = definition.body.head, !isVariable(head), let (_, kind) = interface(of: head) {
            output = kind
        }
        definitionScopes[ObjectIdentifier(scope)] = scope
        return CheckedDefinition(statement: definition, input: input, output: output, scope: scope)
    }

    // MARK: Pipelines

    /// Checks a pipeline and returns what it produces. In a `fragment` (a `def` body) the first
    /// stage's input comes from the call site, not from the default source.
    private func check(_ pipeline: Pipeline, in scope: CheckScope, fragment: Bool) -> StaticValue {
        var history: [StaticCall.Upstream] = []
        return check(pipeline, in: scope, fragment: fragment, history: &history)
    }

    /// `check(_:in:fragment:)`, leaving the pipeline's stages in `history` (what a `let` of it
    /// remembers).
    private func check(_ pipeline: Pipeline, in scope: CheckScope, fragment: Bool, history: inout [StaticCall.Upstream]) -> StaticValue {
        var current: StaticValue?
        var producer = ""
        // The stages so far, for stage checks that look back along the pipeline (`classify`
        // at the images its source makes); empty after a variable, whose history is not followed.
        var upstream: [StaticCall.Upstream] = []
        switch pipeline.head {
        case .expression(let expression):
            current = evaluate(expression, in: scope, namesAllowed: false)
            producer = "the value before it"
        case .stage(let call):
            if call.isBareName, let value = scope.variable(call.name) {
                current = value
                producer = "`\(call.name)`"
                upstream = scope.history(call.name) ?? []
            } else if reportCycle(call) {
                current = .kind(.any)
                producer = "`\(call.name)`"
            } else if let rule = inputRule(of: call, in: scope) {
                var input: StaticValue?
                if rule != .nothing {
                    if fragment {
                        input = .kind(.any)
                    } else if let source = knownSettings["data"] ?? scope.variable("data") {
                        input = source
                        producer = "the default source `data`"
                        if knownSettings["data"] == nil { upstream = scope.history("data") ?? [] }
                    } else if let fallback = registry.defaultSource, let source = registry.signature(named: fallback.stage) {
                        input = .kind(source.output)
                        producer = "the default source (\(fallback.description))"
                        upstream = [StaticCall.Upstream(stage: fallback.stage, arguments: fallback.arguments.mapValues(StaticValue.init))]
                    } else {
                        report("stage `\(call.name)` needs input, but nothing is piped into it and there is no default source; pipe data in, or define it with `let data = …` or `set data = …`",
                               at: call.nameSpan)
                        input = .kind(.any)
                    }
                }
                current = checkStage(call, input: input, producer: producer, upstream: upstream, in: scope)
                upstream.append(summary(of: call, in: scope))
                producer = "`\(call.name)`"
            } else {
                let candidates = registry.stageNames + scope.definitionNames + (call.isBareName ? scope.variableNames : [])
                let what = call.isBareName ? "unknown stage or variable" : "unknown stage"
                let stages = "`:help` in the REPL or `dpl help` lists the stages"
                let define = call.isBareName ? "define it first with `let \(call.name) = …`; \(stages)" : stages
                report("\(what) `\(call.name)`", at: call.nameSpan,
                       fix: Suggestion.didYouMean(call.name, among: candidates) ?? define)
                current = .kind(.any)
            }
        }
        for call in pipeline.stages {
            if reportCycle(call) {
                current = .kind(.any)
                producer = "`\(call.name)`"
                continue
            }
            guard inputRule(of: call, in: scope) != nil else {
                report("unknown stage `\(call.name)`", at: call.nameSpan,
                       fix: Suggestion.didYouMean(call.name, among: registry.stageNames + scope.definitionNames))
                current = .kind(.any)
                producer = "`\(call.name)`"
                continue
            }
            current = checkStage(call, input: current ?? .kind(.any), producer: producer, upstream: upstream, in: scope)
            upstream.append(summary(of: call, in: scope))
            producer = "`\(call.name)`"
        }
        history = upstream
        return current ?? .none
    }

    /// Reports a call of a `def` whose body is being checked: running it would recurse forever.
    private func reportCycle(_ call: StageCall) -> Bool {
        guard let start = definitionStack.firstIndex(of: call.name) else { return false }
        let cycle = (definitionStack[start...] + [call.name]).map { "`\($0)`" }.joined(separator: " → ")
        report("`\(call.name)` calls itself (\(cycle)); a `def` cannot call itself, directly or through other `def`s",
               at: call.nameSpan)
        return true
    }

    private func inputRule(of call: StageCall, in scope: CheckScope) -> InputRule? {
        if let definition = scope.definition(call.name) { return definition.input }
        return registry.signature(named: call.name)?.input
    }

    /// Checks one stage call given what flows into it; returns what it produces.
    private func checkStage(_ call: StageCall, input: StaticValue?, producer: String,
                            upstream: [StaticCall.Upstream] = [], in scope: CheckScope) -> StaticValue {
        if let definition = scope.definition(call.name) {
            checkInput(call, rule: definition.input, input: input, producer: producer)
            checkDefinitionCall(call, definition, in: scope)
            return .kind(definition.output)
        }
        guard let signature = registry.signature(named: call.name) else { return .kind(.any) }
        checkInput(call, rule: signature.input, input: input, producer: producer)
        let parameters = signature.parameters
        let values = bindArguments(call, parameters: parameters, positional: signature.positional, in: scope)
        for parameter in parameters where parameter.required && values[parameter.name] == nil {
            report("stage `\(call.name)` needs the argument `\(parameter.name)` (\(parameter.doc.lowercasedFirst))",
                   at: call.nameSpan)
        }
        for argument in call.arguments {
            guard let name = argument.label ?? positionalName(of: argument, in: call, signature.positional),
                  let parameter = signature.parameter(name), let value = values[name] else { continue }
            if var problem = TypeRules.mismatch(value.value, for: parameter) {
                if problem.fix == nil, case .name(let word) = value.value {
                    problem.fix = hyphenHint(word, in: scope)
                        ?? Suggestion.didYouMean(word, among: scope.variableNames)
                }
                report("parameter `\(name)` of `\(call.name)` \(problem.reason)", at: argument.value.span, fix: problem.fix)
            } else if let condition = parameter.appliesWhen,
                      let message = signature.misapplied(parameter, deciding: values[condition.parameter].flatMap { $0.value.literalText }) {
                report(message, at: argument.labelSpan)
            } else if parameter.mustExist, case .string(let path?) = value.value,
                      let problem = Self.missingPath(path, scriptFolder: folder(of: argument.value.span)) {
                report("`\(call.name)` reads `\(path)`, which does not exist (\(problem.looked))", at: argument.value.span, fix: problem.fix)
            } else if parameter.writesFile, case .string(let path?) = value.value,
                      let refusal = registry.writePolicy.refusal(toWrite: path, scriptFolder: folder(of: argument.value.span)) {
                report("`\(call.name)` cannot write \(refusal)", at: argument.value.span)
            }
        }
        if let check = signature.check {
            var histories: [String: [StaticCall.Upstream]] = [:]
            for argument in call.arguments {
                guard case .identifier(let variable) = argument.value.kind, let history = scope.history(variable), !history.isEmpty,
                      let name = argument.label ?? positionalName(of: argument, in: call, signature.positional) else { continue }
                histories[name] = history
            }
            let given = StaticCall(stage: call.name, arguments: values.mapValues(\.value), input: input,
                                   upstream: upstream, folder: folder(of: call.nameSpan), settings: knownSettings,
                                   argumentHistories: histories)
            for problem in check(given) {
                let span = problem.parameter.flatMap { name in
                    call.arguments.first { ($0.label ?? positionalName(of: $0, in: call, signature.positional)) == name }?.value.span
                } ?? call.nameSpan
                report(problem.message, at: span, fix: problem.fix)
            }
        }
        return .kind(signature.output)
    }

    /// A call's name and literal arguments (silently evaluated: they were reported already),
    /// for the checks of the stages after it.
    private func summary(of call: StageCall, in scope: CheckScope) -> StaticCall.Upstream {
        guard let signature = registry.signature(named: call.name) else { return StaticCall.Upstream(stage: call.name, arguments: [:]) }
        let matching = ArgumentMatching(call, parameters: signature.parameters.map(\.name), positional: signature.positional)
        var arguments: [String: StaticValue] = [:]
        for binding in matching.bindings {
            arguments[binding.name] = evaluate(call.arguments[binding.index].value, in: scope, namesAllowed: true, silent: true)
        }
        return StaticCall.Upstream(stage: call.name, arguments: arguments)
    }

    /// The folder of the script `span` lies in (the current directory for the command line,
    /// standard input and the REPL): what relative paths it writes are resolved against.
    private func folder(of span: SourceSpan) -> String {
        if span.file.hasPrefix("<") { return loader.currentDirectory }
        return (loader.resolve(span.file, relativeTo: "<command line>") as NSString).deletingLastPathComponent
    }

    private func checkInput(_ call: StageCall, rule: InputRule, input: StaticValue?, producer: String) {
        guard let input else { return }
        if rule == .nothing {
            report("stage `\(call.name)` starts a pipeline and takes no input; start a new pipeline with it", at: call.nameSpan)
        } else if !rule.accepts(input.kind) {
            report("stage `\(call.name)` needs \(rule.description) as input, but \(producer) produces \(input.phrase)",
                   at: call.nameSpan)
        }
    }

    /// Matches arguments to parameter names, reporting unknown, duplicate and extra positional ones.
    private func bindArguments(_ call: StageCall, parameters: [Parameter], positional: [String],
                               in scope: CheckScope) -> [String: (value: StaticValue, span: SourceSpan)] {
        let matching = ArgumentMatching(call, parameters: parameters.map(\.name), positional: positional)
        var values: [String: (value: StaticValue, span: SourceSpan)] = [:]
        let names = Dictionary(matching.bindings.map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        let problems = Dictionary(grouping: matching.problems, by: \.index)
        // In call order: every argument's value is checked (also one that names no parameter),
        // then what is wrong with the argument itself.
        for (index, argument) in call.arguments.enumerated() {
            let value = evaluate(argument.value, in: scope, namesAllowed: true)
            for problem in problems[index] ?? [] { record(problem.diagnostic) }
            if let name = names[index] { values[name] = (value, argument.span) }
        }
        return values
    }

    /// Where a missing path was looked for and a near name beside it, or nil when it exists.
    private static func missingPath(_ path: String, scriptFolder: String) -> (looked: String, fix: String?)? {
        let absolute = path.hasPrefix("/") ? path : (scriptFolder as NSString).appendingPathComponent(path)
        let standardized = URL(fileURLWithPath: absolute).standardizedFileURL.path
        guard !FileManager.default.fileExists(atPath: standardized) else { return nil }
        let parent = (standardized as NSString).deletingLastPathComponent
        let siblings = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        let fix = Suggestion.didYouMean((standardized as NSString).lastPathComponent, among: siblings)
        return ("looked for \(standardized)", fix)
    }


    private func positionalName(of argument: StageArgument, in call: StageCall, _ positional: [String]) -> String? {
        let index = call.arguments.filter { $0.label == nil }.firstIndex { $0.span == argument.span } ?? positional.count
        return index < positional.count ? positional[index] : nil
    }

    /// A `def` call: bind arguments to its parameters, then re-check its body with those values,
    /// reporting what fails at the call.
    private func checkDefinitionCall(_ call: StageCall, _ definition: CheckedDefinition, in scope: CheckScope) {
        let statement = definition.statement
        let parameters = statement.parameters.map {
            Parameter($0.name, .any, default: nil, required: $0.defaultValue == nil, doc: "parameter of `\(statement.name)`")
        }
        let values = bindArguments(call, parameters: parameters, positional: statement.parameters.map(\.name), in: scope)
        guard definitionStack.count < Self.maximumDefinitionDepth else {
            // Kept out of `diagnostics`, which the calls around this one rewrite as "in `f` …"
            // a hundred times over; reported once, since every deeper call would repeat it.
            if depthLimitError == nil, let outermost = definitionCallSites.first {
                let chain = "`\(definitionStack[0])` → `\(definitionStack[1])` → … → `\(call.name)`"
                depthLimitError = Diagnostic("`def` calls nest deeper than \(Self.maximumDefinitionDepth) levels (\(chain)); call fewer `def`s inside `def`s",
                                             at: outermost)
            }
            return
        }
        let bodyScope = CheckScope(parent: definition.scope)
        for parameter in statement.parameters {
            if let given = values[parameter.name] {
                bodyScope.variables[parameter.name] = given.value
            } else if let defaultValue = parameter.defaultValue {
                bodyScope.variables[parameter.name] = evaluate(defaultValue, in: definition.scope, namesAllowed: true, silent: true)
            } else {
                report("stage `\(call.name)` needs the argument `\(parameter.name)`", at: call.nameSpan)
                bodyScope.variables[parameter.name] = .kind(.any)
            }
        }
        // `def f2 = f1 | f1`, `def f3 = f2 | f2`, …: checking each call's body afresh is
        // exponential, so a body checked with the same values (within one statement, where no
        // scope changes) is checked once and its errors reused.
        let memoKey = DefinitionCallKey(stack: definitionStack, definition: statement.span,
                                        values: statement.parameters.map { bodyScope.variables[$0.name] ?? .kind(.any) })
        let fresh: [Diagnostic]
        if let known = definitionCallMemo[memoKey] {
            fresh = known
        } else {
            // Errors the body has with these values, reported at the call that causes them. They
            // are taken back off the end (not by copying everything found so far), so checking
            // many calls stays linear in the number of errors.
            let diagnosticMark = diagnostics.count
            let keyMark = reportedKeyOrder.count
            definitionStack.append(statement.name)
            definitionCallSites.append(call.nameSpan)
            _ = check(statement.body, in: bodyScope, fragment: true)
            definitionCallSites.removeLast()
            definitionStack.removeLast()
            fresh = Array(diagnostics[diagnosticMark...])
            diagnostics.removeSubrange(diagnosticMark...)
            for key in reportedKeyOrder[keyMark...] { reportedKeys.remove(key) }
            reportedKeyOrder.removeSubrange(keyMark...)
            definitionCallMemo[memoKey] = fresh
        }
        for diagnostic in fresh {
            let place = "\(URL(fileURLWithPath: diagnostic.span.file).lastPathComponent):\(diagnostic.span.line)"
            report("in `\(call.name)` (defined at \(place)): \(diagnostic.message)", at: call.span, fix: diagnostic.fix)
        }
    }

    private func hyphenHint(_ word: String, in scope: CheckScope) -> String? {
        guard let first = word.split(separator: "-").first, scope.variable(String(first)) != nil else { return nil }
        return "write `\(word.replacingOccurrences(of: "-", with: " - "))` with spaces to subtract"
    }

    // MARK: Expressions

    /// What is known about `expression`; reports undefined variables. `namesAllowed` is true
    /// where a bare word may be a name (stage arguments), false where it must be a variable.
    private func evaluate(_ expression: Expression, in scope: CheckScope, namesAllowed: Bool, silent: Bool = false) -> StaticValue {
        switch expression.kind {
        case .number(let value, _): return .number(value)
        case .string(let literal):
            for part in literal.parts {
                if case .interpolation(let name, let span) = part, scope.variable(name) == nil, !silent {
                    report("undefined variable `\(name)` in string", at: span,
                           fix: Suggestion.didYouMean(name, among: scope.variableNames))
                }
            }
            return .string(literal.plainText)
        case .bool: return .bool
        case .none: return .none
        case .name(let name): return .name(name)
        case .identifier(let name):
            if let value = scope.variable(name) { return value }
            if !namesAllowed, !silent {
                report("undefined variable `\(name)`", at: expression.span,
                       fix: Suggestion.didYouMean(name, among: scope.variableNames))
                return .kind(.any)
            }
            return .name(name)
        case .list(let elements):
            return .list(elements.map { evaluate($0, in: scope, namesAllowed: namesAllowed, silent: silent) })
        case .group(let inner):
            return evaluate(inner, in: scope, namesAllowed: namesAllowed, silent: silent)
        case .negate(let operand):
            let value = evaluate(operand, in: scope, namesAllowed: false, silent: silent)
            switch value {
            case .number(let number): return .number(number.map { -$0 })
            case .kind(.any): return .kind(.any)
            default:
                if !silent { report("`-` needs a number, but got \(value.phrase)", at: operand.span) }
                return .kind(.any)
            }
        case .binary(let op, let left, let right):
            let lhs = evaluate(left, in: scope, namesAllowed: false, silent: silent)
            let rhs = evaluate(right, in: scope, namesAllowed: false, silent: silent)
            switch (lhs, rhs) {
            case (.number(let a), .number(let b)):
                guard let a, let b else { return .number(nil) }
                if op == .divide, b == 0 {
                    if !silent { report("division by zero", at: right.span) }
                    return .number(nil)
                }
                return .number(Arithmetic.apply(op, a, b))
            case (.string, .string) where op == .add: return .string(nil)
            case (.kind(.any), _), (_, .kind(.any)): return .kind(.any)
            default:
                if !silent {
                    report("`\(op.rawValue)` needs two numbers\(op == .add ? " or two strings" : ""), but got \(lhs.phrase) and \(rhs.phrase)",
                           at: expression.span)
                }
                return .kind(.any)
            }
        }
    }

    // MARK: Reporting

    private func report(_ message: String, at span: SourceSpan, fix: String? = nil) {
        record(Diagnostic(message, at: span, fix: fix))
    }

    private func record(_ diagnostic: Diagnostic) {
        // The same mistake reached twice (a loop body checked per element) is reported once.
        let key = "\(diagnostic.span)|\(diagnostic.fullMessage)"
        guard reportedKeys.insert(key).inserted else { return }
        reportedKeyOrder.append(key)
        diagnostics.append(diagnostic)
    }
}

/// The arithmetic both the checker and the interpreter use, so they agree on every value.
enum Arithmetic {
    static func apply(_ op: BinaryOperator, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        }
    }
}

extension String {
    /// The string with its first letter lower-cased and a trailing period removed, to embed a doc line.
    var lowercasedFirst: String {
        var text = self
        if text.hasSuffix(".") { text.removeLast() }
        guard let first = text.first else { return text }
        return first.lowercased() + text.dropFirst()
    }
}
