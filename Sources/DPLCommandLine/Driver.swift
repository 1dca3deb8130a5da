import Foundation
import DPLLang
import DPLRuntime

// MARK: - Command-line behaviour

/// What each script subcommand of `dpl` does (run, -e, check, fmt, help), kept here (not in
/// the executable) so tests can drive it. Every function writes results to `output`, errors to
/// `errors`, and returns the exit status (`ExitStatus`).
public struct Driver {
    /// The stages available.
    public let registry: StageRegistry
    /// The settings available.
    public let settings: SettingsRegistry
    /// How files are read.
    public let loader: SourceLoader
    /// Where results go (standard output).
    public let output: (String) -> Void
    /// Where diagnostics go (standard error).
    public let errors: (String) -> Void

    /// Creates a driver.
    public init(registry: StageRegistry, settings: SettingsRegistry = .standard, loader: SourceLoader = .fileSystem,
                output: @escaping (String) -> Void, errors: @escaping (String) -> Void) {
        self.registry = registry
        self.settings = settings
        self.loader = loader
        self.output = output
        self.errors = errors
    }

    private func makeSession() -> Session {
        Session(registry: registry, settings: settings, loader: loader, output: output)
    }

    /// A session with `--set` assignments applied, or nil after reporting the first that fails.
    private func makeSession(applying assignments: [String]) -> Session? {
        let session = makeSession()
        for assignment in assignments {
            let outcome = session.applySetting(assignment)
            if case .success = outcome { continue }
            if let text = outcome.errorText { errors(text) }
            return nil
        }
        return session
    }

    private func report(_ outcome: Outcome) -> Int32 {
        if let text = outcome.errorText { errors(text) }
        return ExitStatus.of(outcome)
    }

    private func readSource(_ path: String) -> SourceFile? {
        let resolved = loader.resolve(path, relativeTo: "<command line>")
        guard let text = try? loader.read(resolved) else {
            let hint = FileManager.default.fileExists(atPath: resolved) ? "check that it is a readable text file" : "check the path (it is relative to the current directory)"
            errors("dpl: cannot read `\(path)` (looked for \(resolved)); \(hint)")
            return nil
        }
        return SourceFile(name: path, text: text)
    }

    // MARK: Subcommands

    /// `dpl run FILE [--set key=value …]`.
    public func run(path: String, settingAssignments: [String] = []) -> Int32 {
        guard let source = readSource(path), let session = makeSession(applying: settingAssignments) else { return ExitStatus.usage }
        return report(session.run(source))
    }

    /// `dpl run FILE --shard K/N`: runs the script as shard K of N (docs/scaling.md). The
    /// shard reaches the stages as the `shard` setting, which only a sharded run registers.
    public func run(path: String, settingAssignments: [String], shard: ShardSpec) -> Int32 {
        var settings = self.settings
        settings.register(ShardSpec.setting)
        let sharded = Driver(registry: registry, settings: settings, loader: loader, output: output, errors: errors)
        return sharded.run(path: path, settingAssignments: settingAssignments + ["\(ShardSpec.settingName)=\"\(shard)\""])
    }

    /// `dpl -e 'source'`.
    public func evaluate(_ text: String, settingAssignments: [String] = []) -> Int32 {
        guard let session = makeSession(applying: settingAssignments) else { return ExitStatus.usage }
        return report(session.run(SourceFile(name: "<command line>", text: text)))
    }

    /// `dpl estimate FILE [--set key=value …]`: the script's model passes per stage, their
    /// FLOPs and the predicted run time on this machine, without running it (ScriptEstimator).
    public func estimate(path: String, settingAssignments: [String] = []) -> Int32 {
        guard let source = readSource(path) else { return ExitStatus.usage }
        switch ScriptEstimator.estimate(source, settingAssignments: settingAssignments, settings: settings, loader: loader,
                                               writePolicy: registry.writePolicy) {
        case .success(let estimate):
            output(estimate.rendered)
            return ExitStatus.success
        case .failure(let failure):
            errors(failure.description)
            return ExitStatus.scriptError
        }
    }

    /// `dpl check FILE…`: parse and check every file, reporting every error.
    public func check(paths: [String]) -> Int32 {
        var worst = ExitStatus.success
        for path in paths {
            guard let source = readSource(path) else {
                worst = max(worst, ExitStatus.usage)
                continue
            }
            let outcome = makeSession().check(source)
            worst = max(worst, report(outcome))
        }
        return worst
    }

    /// `dpl fmt [--check] FILE…`: rewrite files in canonical form, or with `checkOnly`
    /// list the files that are not and fail.
    public func format(paths: [String], checkOnly: Bool) -> Int32 {
        var worst = ExitStatus.success
        for path in paths {
            guard let source = readSource(path) else {
                worst = max(worst, ExitStatus.usage)
                continue
            }
            let (program, diagnostics) = Parser.parse(source)
            guard diagnostics.isEmpty else {
                errors(DiagnosticReport(diagnostics: diagnostics, sources: [source.name: source]).rendered)
                worst = max(worst, ExitStatus.scriptError)
                continue
            }
            let formatted = Formatter.format(program)
            if formatted == source.text { continue }
            if checkOnly {
                output("\(path) is not formatted; run `dpl fmt \(path)`")
                worst = max(worst, ExitStatus.scriptError)
                continue
            }
            do {
                // Through a symbolic link, the file it points to is rewritten and the link stays
                // (an atomic write to the link's own path would replace the link with a file).
                let target = WritePolicy.realPath(loader.resolve(path, relativeTo: "<command line>"))
                try formatted.write(toFile: target, atomically: true, encoding: .utf8)
            } catch {
                errors("dpl: cannot write `\(path)`: \(error.localizedDescription)")
                worst = max(worst, ExitStatus.runtimeFailure)
            }
        }
        return worst
    }

    /// `dpl help [STAGE] [--markdown]`.
    public func help(stage: String?, markdown: Bool) -> Int32 {
        if markdown {
            // `output` ends each line itself; the document already ends with its newline.
            output(String(Help.markdown(registry: registry, settings: settings).dropLast()))
            return ExitStatus.success
        }
        guard let stage else {
            output(Help.overview(registry: registry, settings: settings))
            return ExitStatus.success
        }
        let (text, found) = Help.stage(named: stage, registry: registry)
        if found {
            output(text)
            return ExitStatus.success
        }
        errors("dpl: \(text)")
        return ExitStatus.usage
    }
}
