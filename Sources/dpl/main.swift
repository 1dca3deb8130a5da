// The `dpl` command line: argument parsing only; what each command does lives in DPLLang.Driver.
import ArgumentParser
import DPLLang
import DPLREPL
import DPLRuntime
import Foundation

/// The stages `dpl` runs: DPL's built-in stages. A registration failure is a bug in DPL
/// itself, reported plainly rather than crashing.
func makeRegistry() -> StageRegistry {
    do {
        return try BuiltinStages.makeRegistry()
    } catch {
        FileHandle.standardError.write(Data("dpl: internal error while registering the built-in stages: \(error)\n".utf8))
        return StageRegistry()
    }
}

func makeDriver() -> Driver {
    Driver(registry: makeRegistry(),
           output: { print($0); fflush(stdout) },
           errors: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
}

/// Ends the process with the driver's exit code.
func finish(_ code: Int32) throws -> Never {
    throw ExitCode(code)
}

/// `--set key=value`, accepted by `dpl` itself (with `-e` or the REPL) and by `dpl run`. One
/// option group shared by both: when each declared its own `--set`, ArgumentParser handed every
/// value to the root command (apple/swift-argument-parser#169), so `dpl run FILE --set …`
/// silently ran with the defaults. A group declared in both is decoded once and shared.
struct SettingOptions: ParsableArguments {
    @Option(name: .customLong("set"), help: "Set a session setting before running (key=value).")
    var assignments: [String] = []
}

struct DPL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpl",
        abstract: "The defense-pipeline language: evaluate diffusion purification against adversarial attacks.",
        discussion: "With no arguments, dpl opens the REPL on a terminal and reads statements from standard input otherwise.",
        version: Driver.version,
        subcommands: [Run.self, Check.self, Format.self, Describe.self])

    @Option(name: .customShort("e"), help: ArgumentHelp("Run the given source text.", valueName: "source"))
    var source: String?

    @OptionGroup var settings: SettingOptions

    func run() throws {
        if let source { try finish(makeDriver().evaluate(source, settingAssignments: settings.assignments)) }
        let session = LanguageREPLSession(registry: makeRegistry(), settingAssignments: settings.assignments)
        var configuration = REPLConfiguration()
        configuration.banner = "DPL \(Driver.version) — :help for stages, :quit to leave"
        let summary = REPL(session: session, configuration: configuration).run()
        // A script piped in fails like `dpl run` would; an interactive session ends normally.
        let interactive = isatty(STDIN_FILENO) == 1
        try finish(interactive || summary.succeeded ? Driver.success : Driver.runtimeFailure)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check and run a script.")

    @Argument(help: "The script to run.")
    var file: String

    @OptionGroup var settings: SettingOptions

    @Flag(help: "Smoke mode: run every stage on shrunken sizes to check the script; the numbers are not results (same as --set smoke=true).")
    var smoke = false

    func run() throws {
        try finish(makeDriver().run(path: file, settingAssignments: settings.assignments + (smoke ? ["smoke=true"] : [])))
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check scripts without running them.")

    @Argument(help: "The scripts to check.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file to check") }
    }

    func run() throws { try finish(makeDriver().check(paths: files)) }
}

struct Format: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fmt", abstract: "Rewrite scripts in canonical form.")

    @Flag(help: "Only report files that are not formatted; exit 1 if any.")
    var check = false

    @Argument(help: "The scripts to format.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file to format") }
    }

    func run() throws { try finish(makeDriver().format(paths: files, checkOnly: check)) }
}

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "help", abstract: "Describe the stages and settings.")

    @Argument(help: "A stage to describe.")
    var stage: String?

    @Flag(help: "Print docs/builtins.md, generated from the stage registry.")
    var markdown = false

    func run() throws { try finish(makeDriver().help(stage: stage, markdown: markdown)) }
}

DPL.main()
