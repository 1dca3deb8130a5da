// The `dpl` command line: argument parsing only; what each command does lives in
// DPLCommandLine.Driver (scripts) and the runtime (merge, verify, pack, submit).
import ArgumentParser
import DPLCommandLine
import DPLLang
import DPLLanguageServer
import DPLREPL
import DPLRuntime
import DPLTensor
import Foundation

/// The stages `dpl` runs: DPL's built-in stages. A registration failure is a bug in DPL
/// itself, reported plainly rather than crashing.
func makeRegistry(allowingWritesTo folders: [String] = [], sandboxed: Bool = false) -> StageRegistry {
    // Folders are made absolute against the current directory, where the user typed them.
    let absolute = folders.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    do {
        return try BuiltinStages.makeRegistry(writePolicy: WritePolicy(allowedFolders: absolute),
                                              readPolicy: ReadPolicy(sandboxed: sandboxed))
    } catch {
        FileHandle.standardError.write(Data("dpl: internal error while registering the built-in stages: \(error)\n".utf8))
        return StageRegistry()
    }
}

func makeDriver(allowingWritesTo folders: [String] = [], sandboxed: Bool = false) -> Driver {
    Driver(registry: makeRegistry(allowingWritesTo: folders, sandboxed: sandboxed),
           output: { print($0); fflush(stdout) },
           errors: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
}

/// Ends the process with the driver's exit status.
func finish(_ code: Int32) throws -> Never {
    throw ExitCode(code)
}

/// Ends the process with the exit status of a command the runtime carried out.
func finish(_ result: CommandResult) throws -> Never {
    try finish(ExitStatus.of(result))
}

/// `--set key=value`, accepted by `dpl` itself (with `-e` or the REPL) and by `dpl run`. One
/// option group shared by both: when each declared its own `--set`, ArgumentParser handed every
/// value to the root command (apple/swift-argument-parser#169), so `dpl run FILE --set …`
/// silently ran with the defaults. A group declared in both is decoded once and shared.
struct SettingOptions: ParsableArguments {
    @Option(name: .customLong("set"), help: "Set a session setting before running (key=value).")
    var assignments: [String] = []

    @Option(name: .customLong("allow-write"), help: ArgumentHelp("Also let the script write under this folder (scripts write only under their own folder otherwise; docs/security.md).", valueName: "folder"))
    var allowedFolders: [String] = []

    @Flag(help: ArgumentHelp("Refuse to read weights or data outside the script's folder, the model folders and /usr/share/datasets (such reads are otherwise named in provenance; docs/security.md)."))
    var sandbox = false
}

struct DPL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpl",
        abstract: "The defense-pipeline language: evaluate diffusion purification against adversarial attacks.",
        discussion: "With no arguments, dpl opens the REPL on a terminal and reads statements from standard input otherwise.",
        version: DPLVersion.current,
        subcommands: [Run.self, Estimate.self, Check.self, Format.self, Describe.self, Merge.self, Verify.self, Pack.self, Submit.self,
                      LanguageServerCommand.self])

    @Option(name: .customShort("e"), help: ArgumentHelp("Run the given source text.", valueName: "source"))
    var source: String?

    @OptionGroup var settings: SettingOptions

    func run() throws {
        if let source {
            try finish(makeDriver(allowingWritesTo: settings.allowedFolders, sandboxed: settings.sandbox)
                .evaluate(source, settingAssignments: settings.assignments))
        }
        let session = LanguageREPLSession(registry: makeRegistry(allowingWritesTo: settings.allowedFolders, sandboxed: settings.sandbox),
                                          settingAssignments: settings.assignments)
        var configuration = REPLConfiguration()
        configuration.banner = "DPL \(DPLVersion.current) — :help for stages, :quit to leave"
        let summary = REPL(session: session, configuration: configuration).run()
        // A script piped in fails like `dpl run` would; an interactive session ends normally.
        let interactive = isatty(STDIN_FILENO) == 1
        try finish(interactive || summary.succeeded ? ExitStatus.success : ExitStatus.runtimeFailure)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check and run a script.")

    @Argument(help: "The script to run.")
    var file: String

    @OptionGroup var settings: SettingOptions

    @Flag(help: "Smoke mode: run every stage on shrunken sizes to check the script; the numbers are not results (same as --set smoke=true).")
    var smoke = false

    @Option(help: ArgumentHelp("Run shard K of N (1 ≤ K ≤ N): a contiguous range of whole batches of every dataset; result files get .shard-K-of-N (docs/scaling.md).", valueName: "K/N"))
    var shard: String?

    func validate() throws {
        if let shard {
            do { _ = try ShardSpec(parsing: shard) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        let assignments = settings.assignments + (smoke ? ["smoke=true"] : [])
        if let shard, let spec = try? ShardSpec(parsing: shard) {
            try finish(makeDriver(allowingWritesTo: settings.allowedFolders, sandboxed: settings.sandbox)
                .run(path: file, settingAssignments: assignments, shard: spec))
        }
        try finish(makeDriver(allowingWritesTo: settings.allowedFolders, sandboxed: settings.sandbox)
            .run(path: file, settingAssignments: assignments))
    }
}

struct Estimate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict a script's run time without running it.",
        discussion: "Counts each stage's model evaluations (images, batches, forward and backward passes per model, from the attack's steps, restarts and EOT, the purifier's steps and the evaluation rule), their FLOPs, and times one batch of each model on this machine to predict the seconds. Writes nothing.")

    @Argument(help: "The script to estimate.")
    var file: String

    @OptionGroup var settings: SettingOptions

    @Flag(help: "Estimate the smoke run (dpl run FILE --smoke) instead of the full one.")
    var smoke = false

    func run() throws {
        let assignments = settings.assignments + (smoke ? ["smoke=true"] : [])
        try finish(makeDriver(allowingWritesTo: settings.allowedFolders).estimate(path: file, settingAssignments: assignments))
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the result files of a sharded run into the unsharded result.",
        discussion: "Refuses to write anything when a shard is missing, duplicated or from another run (docs/scaling.md).")

    @Argument(help: "The shards' .json files (e.g. out/results.shard-*.json).")
    var files: [String]

    @Option(name: .shortAndLong, help: "The merged .json file to write (atomically).")
    var output: String

    func validate() throws {
        if files.isEmpty { throw ValidationError("give the shard files to merge, e.g. dpl merge out/r.shard-*.json -o out/r.json") }
        if !output.lowercased().hasSuffix(".json") { throw ValidationError("dpl merge writes JSON; give -o a file ending in .json") }
    }

    func run() throws {
        do {
            try ShardMerge.merge(paths: files, into: output)
        } catch {
            FileHandle.standardError.write(Data("dpl merge: \(error)\n".utf8))
            try finish(ExitStatus.runtimeFailure)
        }
        print("merged \(files.count) shards into \(output)")
    }
}

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a script as N shards on a Slurm cluster, then merge and verify (docs/scaling.md).",
        discussion: "Submits an array job (one task per shard, `dpl run FILE --shard K/N`) and a job that runs `dpl merge` and `dpl verify` once every task succeeded. Submitting again runs only the shards whose result files are missing.")

    @Argument(help: "The script to run; it must save its results as .json under a literal name.")
    var file: String

    @Flag(help: "Submit to Slurm with sbatch (the only scheduler dpl submit knows).")
    var slurm = false

    @Option(help: "How many shards (array tasks) to split the evaluation into.")
    var shards: Int

    @Option(help: "The Slurm partition (default: the cluster's default partition).")
    var partition: String?

    @Option(help: "Time limit per task, in Slurm's form (e.g. 30, 2:00:00, 1-00).")
    var time: String?

    @Option(help: "CPUs per shard; each shard runs with that many threads.")
    var cpusPerTask: Int = 1

    @Option(help: "Memory per shard, in Slurm's form (e.g. 4G).")
    var mem: String?

    @OptionGroup var settings: SettingOptions

    @Flag(help: "Merge without `dpl verify` (verify reruns the whole evaluation unsharded in the merge job).")
    var noVerify = false

    @Flag(help: "Print the batch scripts and sbatch commands without writing or submitting anything.")
    var dryRun = false

    @Flag(help: "Wait for the jobs, then report each shard's state and the merge job's output.")
    var wait = false

    func validate() throws {
        if !slurm { throw ValidationError("dpl submit needs a scheduler: add --slurm (the only one supported)") }
        if shards < 1 { throw ValidationError("--shards must be a whole number ≥ 1") }
        if cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be a whole number ≥ 1") }
    }

    func run() throws {
        let options = SlurmSubmission.Options(partition: partition, time: time, cpusPerTask: cpusPerTask, memory: mem,
                                              settingAssignments: settings.assignments, verify: !noVerify)
        // A script with errors would fail in every task after waiting in the queue; check it first.
        let checked = makeDriver().check(paths: [file])
        if checked != ExitStatus.success { try finish(checked) }
        let submission: SlurmSubmission
        do {
            submission = try SlurmSubmission(script: file, shardCount: shards, executable: currentExecutable(), options: options)
        } catch {
            FileHandle.standardError.write(Data("dpl submit: \(error)\n".utf8))
            try finish(ExitStatus.usage)
        }
        let client = SlurmClient(output: { print($0); fflush(stdout) },
                                 errors: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        try finish(client.submit(submission, dryRun: dryRun, wait: wait))
    }

    /// This `dpl`'s own path, so the jobs run the same build; /proc/self/exe where there is one.
    func currentExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        let given = CommandLine.arguments.first ?? "dpl"
        return given.contains("/") ? URL(fileURLWithPath: given).standardizedFileURL.path : given
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check scripts without running them.")

    @Argument(help: "The scripts to check.")
    var files: [String]

    @Option(name: .customLong("allow-write"), help: ArgumentHelp("Check as if run with --allow-write FOLDER.", valueName: "folder"))
    var allowedFolders: [String] = []

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file to check") }
    }

    func run() throws { try finish(makeDriver(allowingWritesTo: allowedFolders).check(paths: files)) }
}

struct LanguageServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract: "Serve the Language Server Protocol on standard input and output, for editors.",
        discussion: "Diagnostics as `dpl check` reports them, completion of stages, parameters and values, hover help as `dpl help` shows it, and formatting as `dpl fmt` writes it. Never runs a script and writes no file; logs to standard error. Editor setup: docs/editors.md.")

    @Option(name: .customLong("allow-write"), help: ArgumentHelp("Check as if run with --allow-write FOLDER.", valueName: "folder"))
    var allowedFolders: [String] = []

    func run() throws {
        // A client that goes away must end the server with an error, not a signal.
        signal(SIGPIPE, SIG_IGN)
        let log: (String) -> Void = { fputs($0 + "\n", stderr) }
        let server = LanguageServer(registry: makeRegistry(allowingWritesTo: allowedFolders), log: log)
        try finish(ServerLoop.serve(server, input: STDIN_FILENO, output: STDOUT_FILENO, log: log))
    }
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
    static let configuration = CommandConfiguration(commandName: "help", abstract: "Describe the stages and settings, or a dpl command.")

    @Argument(help: "A stage to describe, or a command (run, estimate, check, fmt, merge, verify, pack, submit, lsp).")
    var stage: String?

    @Flag(help: "Print docs/builtins.md, generated from the stage registry.")
    var markdown = false

    @Flag(help: "Print the man page docs/dpl.1, generated from this help text (man ./docs/dpl.1).")
    var man = false

    /// `dpl --help` points to `dpl help <subcommand>`, so every command answers here too.
    static func command(named name: String) -> ParsableCommand.Type? {
        orderedCommands.first { $0.name == name }?.type
    }

    /// Every command in the order `dpl --help` lists them.
    static var orderedCommands: [(name: String, type: ParsableCommand.Type)] {
        DPL.configuration.subcommands.map { ($0.configuration.commandName ?? String(describing: $0).lowercased(), $0) }
    }

    func run() throws {
        if man {
            let commands = Self.orderedCommands.map { (name: $0.name, help: DPL.helpMessage(for: $0.type, columns: 80)) }
            print(ManualPage.render(version: DPLVersion.current, abstract: DPL.configuration.abstract,
                                    overview: DPL.helpMessage(columns: 80), commands: commands), terminator: "")
            try finish(ExitStatus.success)
        }
        if !markdown, let stage, let command = Self.command(named: stage) {
            print(DPL.helpMessage(for: command))
            try finish(ExitStatus.success)
        }
        try finish(makeDriver().help(stage: stage, markdown: markdown))
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rerun the experiment a results JSON records and compare its results.",
        discussion: "Checks every recorded weights and dataset file by SHA-256 first, reruns in a temporary folder, and exits 0 only when every result is identical or within the tolerance.")

    @Argument(help: "A results file written by `save \"….json\"`.")
    var results: String

    @Option(help: "Largest absolute difference accepted on any number (default 0: bit-identical).")
    var tolerance: Double = 0

    func validate() throws {
        if !(tolerance >= 0) { throw ValidationError("--tolerance must be a number ≥ 0") }
    }

    func run() throws {
        let verifier = ResultVerifier(tolerance: tolerance, output: { print($0); fflush(stdout) },
                                      errors: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        try finish(verifier.verify(resultsPath: results))
    }
}

struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a self-contained artifact folder for a results JSON.",
        discussion: "Copies the script, its imports, the weights it used (under 50 MB each) and the results, and writes a README.md with the commands to rerun and verify.")

    @Argument(help: "A results file written by `save \"….json\"`.")
    var results: String

    @Argument(help: "The folder to create (must be new or empty).")
    var directory: String

    func run() throws {
        let packer = ArtifactPacker(output: { print($0); fflush(stdout) },
                                    errors: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        try finish(packer.pack(resultsPath: results, into: directory))
    }
}

// Before anything else: OpenBLAS picks its kernels when it loads (BLASKernel.swift).
BLASKernel.selectFasterKernel()
// Freed activations stay in the heap instead of page-faulting again (EngineMemory.swift).
EngineMemory.keepFreedBuffers()
DPL.main()
