import Foundation
import DPLLang

// MARK: - dpl submit --slurm

/// `dpl submit FILE --slurm --shards N`: the two batch scripts that run a sharded evaluation on
/// a Slurm cluster (docs/scaling.md) — an array job with one task per shard, and a job that
/// depends on it (`afterok`) and runs `dpl merge` and `dpl verify` — and which shards still need
/// to run.
///
/// A shard is done when every results JSON the script saves exists as that shard's file
/// (`x.shard-K-of-N.json`, written atomically by `dpl run --shard K/N`), so submitting again
/// after a failed or cancelled task runs only the missing shards; a shard that was killed midway
/// resumes from its attack journal. This type only writes text: `SlurmClient` talks to sbatch.
public struct SlurmSubmission {
    /// What the user asked of the scheduler.
    public struct Options {
        /// `--partition`, or nil for the cluster's default partition.
        public var partition: String?
        /// `--time` (Slurm's forms: `MM`, `HH:MM:SS`, `D-HH`), or nil for the partition's limit.
        public var time: String?
        /// CPUs per shard; each shard runs with `set threads` equal to what Slurm grants.
        public var cpusPerTask: Int
        /// `--mem` per shard (e.g. `4G`), or nil for the partition's default.
        public var memory: String?
        /// `--set key=value` assignments every shard, the merge and the verification run with.
        public var settingAssignments: [String]
        /// Whether the merge job also runs `dpl verify`, which reruns the whole evaluation unsharded.
        public var verify: Bool

        /// Options with the given values; the defaults ask Slurm for one CPU per shard and verify.
        public init(partition: String? = nil, time: String? = nil, cpusPerTask: Int = 1, memory: String? = nil,
                    settingAssignments: [String] = [], verify: Bool = true) {
            self.partition = partition
            self.time = time
            self.cpusPerTask = cpusPerTask
            self.memory = memory
            self.settingAssignments = settingAssignments
            self.verify = verify
        }
    }

    /// Why a submission cannot be written: one plain sentence naming the fix.
    public struct Problem: Error, CustomStringConvertible {
        /// The sentence.
        public let description: String
        /// An error saying `description`.
        public init(_ description: String) { self.description = description }
    }

    /// The script, as an absolute path (array tasks may start in another folder).
    public let script: String
    /// N: how many shards the evaluation is split into.
    public let shardCount: Int
    /// The `dpl` executable the jobs run: the one submitting, so every shard runs the same version.
    public let executable: String
    /// The unsharded `.json` files the script saves, absolute; the merge writes these.
    public let results: [String]
    /// The folder for the batch scripts and the jobs' logs: `slurm/` beside the script.
    public let folder: String
    /// The scheduler options.
    public let options: Options

    /// A submission of `script` in `shardCount` shards; reads the script to find what it saves.
    /// - Throws: `Problem` when the script cannot be read or saves no results under a literal `.json` name.
    public init(script path: String, shardCount: Int, executable: String, options: Options,
                currentDirectory: String = FileManager.default.currentDirectoryPath) throws {
        guard shardCount >= 1 else { throw Problem("--shards \(shardCount) is not a shard count; give --shards N with N ≥ 1") }
        guard options.cpusPerTask >= 1 else { throw Problem("--cpus-per-task \(options.cpusPerTask) is not a CPU count; give a whole number ≥ 1") }
        let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: currentDirectory, isDirectory: true)).standardizedFileURL.path
        guard let text = try? String(contentsOfFile: absolute, encoding: .utf8) else {
            throw Problem("cannot read `\(path)` (looked for \(absolute)); check the path")
        }
        let scriptFolder = (absolute as NSString).deletingLastPathComponent
        self.script = absolute
        self.shardCount = shardCount
        self.executable = executable
        self.options = options
        self.folder = (scriptFolder as NSString).appendingPathComponent("slurm")
        self.results = try Self.savedResults(in: SourceFile(name: path, text: text), scriptFolder: scriptFolder)
    }

    // MARK: What the script saves

    /// The absolute paths of the `.json` files `source` saves, in order of appearance. Only
    /// literal names can be known before the run; a JSON name built by interpolation is refused,
    /// since its shards could not be found to merge.
    /// - Throws: `Problem` naming the fix when the script saves no JSON or an interpolated one.
    public static func savedResults(in source: SourceFile, scriptFolder: String) throws -> [String] {
        let (program, diagnostics) = Parser.parse(source)
        if let first = diagnostics.first {
            throw Problem("\(source.name) does not parse (\(first.message) at \(first.span)); run `dpl check \(source.name)` and fix it before submitting")
        }
        var paths: [String] = []
        var problem: Problem?
        func visit(_ pipeline: Pipeline) {
            for call in pipeline.allStages where call.name == "save" {
                guard let argument = call.arguments.first(where: { $0.label == nil || $0.label == "path" }),
                      case .string(let literal) = argument.value.kind else { continue }
                guard let text = literal.plainText else {
                    if literal.raw.lowercased().hasSuffix(".json\"") {
                        problem = problem ?? Problem("\(source.name) saves results under \(literal.raw), a name built at run time, so dpl submit cannot find its shards to merge; save them under a literal name such as \"results.json\"")
                    }
                    continue
                }
                guard (text as NSString).pathExtension.lowercased() == "json" else { continue }
                let resolved = URL(fileURLWithPath: LoadStage.resolve(text, base: scriptFolder)).standardizedFileURL.path
                if !paths.contains(resolved) { paths.append(resolved) }
            }
        }
        func visit(_ statements: [Statement]) {
            for statement in statements {
                switch statement {
                case .pipeline(let pipeline): visit(pipeline)
                case .letBinding(let binding): visit(binding.value)
                case .setting(let setting): visit(setting.value)
                case .definition(let definition): visit(definition.body)
                case .loop(let loop): visit(loop.body)
                case .importFile, .require: break
                }
            }
        }
        visit(program.statements)
        if let problem { throw problem }
        guard !paths.isEmpty else {
            throw Problem("\(source.name) saves no results as .json, so its shards could not be merged; end it with `results | save \"results.json\"`")
        }
        return paths
    }

    // MARK: Files and shards

    /// Shard K's file for the unsharded results file `result` (`x.json` → `x.shard-K-of-N.json`).
    public func shardFile(_ result: String, shard index: Int) -> String {
        (try? ShardSpec(index: index, count: shardCount))?.fileName(for: result) ?? result
    }

    /// The shards (1 … N) whose results files are not all there yet: the ones to run.
    public func missingShards(fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> [Int] {
        (1...shardCount).filter { index in results.contains { !fileExists(shardFile($0, shard: index)) } }
    }

    /// The job name both jobs carry, so `squeue --name` finds a run still queued.
    public var jobName: String {
        "dpl-" + ((script as NSString).lastPathComponent as NSString).deletingPathExtension + "-\(shardCount)"
    }

    /// The array-job script's path.
    public var shardScriptPath: String { (folder as NSString).appendingPathComponent(stem + "-shards.sbatch") }
    /// The merge-job script's path.
    public var mergeScriptPath: String { (folder as NSString).appendingPathComponent(stem + "-merge.sbatch") }
    /// Shard K's log in array job `job` (`%A`/`%a` in the script).
    public func shardLog(job: String, shard index: Int) -> String {
        (folder as NSString).appendingPathComponent("\(stem)-\(job)-shard-\(index).log")
    }
    /// The merge job's log.
    public func mergeLog(job: String) -> String { (folder as NSString).appendingPathComponent("\(stem)-\(job)-merge.log") }

    private var stem: String { ((script as NSString).lastPathComponent as NSString).deletingPathExtension + "-\(shardCount)" }

    /// Slurm's `--array` list for `shards`: ranges where consecutive (`1-4`, `1-2,4`).
    public static func arrayList(_ shards: [Int]) -> String {
        var parts: [String] = []
        var index = 0
        let sorted = shards.sorted()
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : "\(sorted[index])-\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }

    // MARK: Batch scripts

    /// The array job: one task per shard in `shards`, each `dpl run FILE --shard K/N` with as many
    /// threads as CPUs Slurm granted it.
    public func shardScript(shards: [Int]) -> String {
        var lines = header(comment: "Shards \(Self.arrayList(shards)) of \(shardCount) of \(script), one per array task (docs/scaling.md).",
                           output: (folder as NSString).appendingPathComponent("\(stem)-%A-shard-%a.log"))
        lines.insert("#SBATCH --array=\(Self.arrayList(shards))", at: 3)
        lines += [
            "# Threads follow the CPUs Slurm granted; results do not depend on the thread count.",
            "threads=\"${SLURM_CPUS_PER_TASK:-\(options.cpusPerTask)}\"",
            "exec " + ([executable, "run", script, "--shard"].map(Self.quoted) + ["\"${SLURM_ARRAY_TASK_ID}/\(shardCount)\""]
                       + settingArguments(threads: "${threads}")).joined(separator: " "),
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The merge job, submitted with `--dependency=afterok:<array job>`: merges every results
    /// file's shards into the unsharded file, then (unless `verify` is off) reruns the
    /// experiment unsharded with `dpl verify` and fails unless every result is identical.
    public func mergeScript() -> String {
        var lines = header(comment: "Merges the \(shardCount) shards of \(script) once every array task succeeded.",
                           output: (folder as NSString).appendingPathComponent("\(stem)-%j-merge.log"))
        for result in results {
            let shards = (1...shardCount).map { Self.quoted(shardFile(result, shard: $0)) }
            lines.append(([Self.quoted(executable), "merge"] + shards + ["-o", Self.quoted(result)]).joined(separator: " "))
        }
        if options.verify {
            lines.append("# verify reruns the recorded script unsharded and compares every number (bit-identical).")
            for result in results { lines.append([executable, "verify", result].map(Self.quoted).joined(separator: " ")) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func header(comment: String, output: String) -> [String] {
        var lines = ["#!/bin/bash", "# Written by dpl submit. " + comment,
                     "#SBATCH --job-name=\(jobName)",
                     "#SBATCH --cpus-per-task=\(options.cpusPerTask)",
                     "#SBATCH --output=\(output)"]
        if let partition = options.partition { lines.append("#SBATCH --partition=\(partition)") }
        if let time = options.time { lines.append("#SBATCH --time=\(time)") }
        if let memory = options.memory { lines.append("#SBATCH --mem=\(memory)") }
        lines.append("set -euo pipefail")
        return lines
    }

    /// `--set` for each of the user's assignments, then the thread count unless the user set one.
    private func settingArguments(threads: String) -> [String] {
        var arguments = options.settingAssignments.flatMap { ["--set", Self.quoted($0)] }
        if !options.settingAssignments.contains(where: { $0.hasPrefix("threads=") }) {
            arguments += ["--set", "\"threads=\(threads)\""]
        }
        return arguments
    }

    /// `text` as one shell word.
    static func quoted(_ text: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !text.isEmpty, text.unicodeScalars.allSatisfy(safe.contains) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
