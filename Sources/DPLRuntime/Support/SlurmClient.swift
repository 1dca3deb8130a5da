import Foundation
import DPLData
import DPLLang

// MARK: - Talking to Slurm

/// Submits a `SlurmSubmission` with `sbatch` and, when asked, waits for it and reports every
/// shard's fate (`scontrol show job`, which works without Slurm's accounting database, unlike
/// `sacct`). Returns `dpl`'s exit codes: 0 submitted (or, waiting, merged and verified),
/// 2 a job failed, 64 no scheduler to submit to.
public struct SlurmClient {
    /// Where progress goes (standard output).
    public let output: (String) -> Void
    /// Where errors go (standard error).
    public let errors: (String) -> Void
    /// Seconds between two looks at the queue while waiting.
    public var pollInterval: Double = 2

    /// A client printing through `output` and `errors`.
    public init(output: @escaping (String) -> Void, errors: @escaping (String) -> Void) {
        self.output = output
        self.errors = errors
    }

    /// Prints what would be submitted (`dryRun`), or writes the batch scripts beside the script,
    /// submits the array job for the missing shards and the dependent merge job, and with
    /// `wait` follows them to the end.
    public func submit(_ submission: SlurmSubmission, dryRun: Bool, wait: Bool) -> CommandResult {
        let missing = submission.missingShards()
        let done = (1...submission.shardCount).filter { !missing.contains($0) }
        if !done.isEmpty {
            output("\(Self.shards(done)) of \(submission.shardCount) already \(done.count == 1 ? "has its" : "have their") results (\(done.map { (submission.shardFile(submission.results[0], shard: $0) as NSString).lastPathComponent }.joined(separator: ", ")))"
                   + (missing.isEmpty ? "; submitting only the merge" : "; submitting only \(Self.shards(missing))"))
        }
        let dependency = "--dependency=afterok:<array job> --kill-on-invalid-dep=yes "
        if dryRun {
            if !missing.isEmpty {
                output("# sbatch --parsable \(submission.shardScriptPath)")
                output(submission.shardScript(shards: missing))
            }
            output("# sbatch --parsable \(missing.isEmpty ? "" : dependency)\(submission.mergeScriptPath)")
            output(submission.mergeScript())
            return .success
        }
        guard let sbatch = Self.executable(named: "sbatch") else {
            errors("dpl submit: sbatch is not on PATH; run dpl submit where Slurm's commands are installed (a login node), or add --dry-run to print the batch scripts")
            return .usage
        }
        // A second submission while the first is queued would run the same shards twice.
        if let queued = try? run("squeue", ["--noheader", "--name=\(submission.jobName)", "--format=%i"]), !queued.isEmpty {
            let ids = queued.split(whereSeparator: \.isNewline).map(String.init)
            errors("dpl submit: jobs of this run are still queued or running (\(ids.joined(separator: ", "))); wait for them to end or cancel them with `scancel \(Set(ids.map { String($0.prefix { $0 != "_" }) }).sorted().joined(separator: " "))`, then submit again")
            return .failed
        }
        do {
            try FileManager.default.createDirectory(atPath: submission.folder, withIntermediateDirectories: true)
            try writeAtomically(Array(submission.mergeScript().utf8), to: submission.mergeScriptPath)
            var arrayJob: String?
            if !missing.isEmpty {
                try writeAtomically(Array(submission.shardScript(shards: missing).utf8), to: submission.shardScriptPath)
                let job = try jobID(run(sbatch, ["--parsable", submission.shardScriptPath]))
                arrayJob = job
                output("submitted \(Self.shards(missing)) of \(submission.shardCount) as array job \(job) (logs: \(submission.shardLog(job: job, shard: missing[0]).replacingOccurrences(of: "-shard-\(missing[0]).log", with: "-shard-K.log")))")
            }
            let mergeArguments = (arrayJob.map { ["--dependency=afterok:\($0)", "--kill-on-invalid-dep=yes"] } ?? []) + ["--parsable", submission.mergeScriptPath]
            let mergeJob = try jobID(run(sbatch, mergeArguments))
            output("submitted merge\(submission.options.verify ? " and verify" : "") as job \(mergeJob)\(arrayJob.map { ", to start when array job \($0) succeeded" } ?? "") (log: \(submission.mergeLog(job: mergeJob)))")
            guard wait else {
                output("follow with `squeue --name=\(submission.jobName)`; after a failed or cancelled shard, submit the same command again to run only the missing shards")
                return .success
            }
            return follow(submission, arrayJob: arrayJob, shards: missing, mergeJob: mergeJob)
        } catch {
            errors("dpl submit: \(error)")
            return .failed
        }
    }

    /// "shard 3" or "shards 1-2,4".
    static func shards(_ list: [Int]) -> String {
        (list.count == 1 ? "shard " : "shards ") + SlurmSubmission.arrayList(list)
    }

    // MARK: Waiting and reporting

    /// Waits until the array job's tasks and the merge job have ended, then reports each shard.
    func follow(_ submission: SlurmSubmission, arrayJob: String?, shards: [Int], mergeJob: String) -> CommandResult {
        var tasks: [Int: JobRecord] = [:]
        var merge: JobRecord?
        // A job the controller no longer knows (it forgets ended jobs after MinJobAge) has ended;
        // a few looks in a row guard against a controller that was merely busy.
        var arrayUnknown = 0, mergeUnknown = 0
        let forgotten = 3
        while true {
            if let arrayJob {
                let found = records(of: arrayJob)
                arrayUnknown = found.isEmpty ? arrayUnknown + 1 : 0
                for record in found {
                    if let task = record.arrayTask { tasks[task] = record }
                }
            }
            let found = records(of: mergeJob)
            mergeUnknown = found.isEmpty ? mergeUnknown + 1 : 0
            if let record = found.first { merge = record }
            let shardsEnded = arrayJob == nil || arrayUnknown >= forgotten || shards.allSatisfy { tasks[$0]?.hasEnded ?? false }
            let mergeEnded = mergeUnknown >= forgotten || (merge?.hasEnded ?? false)
            if shardsEnded, mergeEnded { break }
            Thread.sleep(forTimeInterval: pollInterval)
        }
        var failed: [Int] = []
        for shard in shards {
            let record = tasks[shard]
            let state = record?.state ?? "UNKNOWN (no longer in the queue)"
            let hasFiles = submission.results.allSatisfy { FileManager.default.fileExists(atPath: submission.shardFile($0, shard: shard)) }
            if record?.state == "COMPLETED", hasFiles {
                output("shard \(shard) of \(submission.shardCount): COMPLETED")
            } else {
                failed.append(shard)
                output("shard \(shard) of \(submission.shardCount): \(state)\(record.map { " (exit \($0.exitCode))" } ?? "")\(hasFiles ? "" : ", no results file"); log: \(submission.shardLog(job: arrayJob ?? "?", shard: shard))")
            }
        }
        let mergeState = merge?.state ?? "UNKNOWN (no longer in the queue)"
        output("merge job \(mergeJob): \(mergeState)\(merge.map { $0.state == "COMPLETED" ? "" : " (\($0.reason))" } ?? "")")
        if let log = try? String(contentsOfFile: submission.mergeLog(job: mergeJob), encoding: .utf8), !log.isEmpty {
            for line in log.split(separator: "\n", omittingEmptySubsequences: false).suffix(12) where !line.isEmpty { output("  | " + line) }
        }
        if !failed.isEmpty {
            output("\(Self.shards(failed)) of \(submission.shardCount) did not finish; submit the same command again to run only \(failed.count == 1 ? "it" : "them") (an interrupted attack resumes from its journal)")
            return .failed
        }
        return mergeState == "COMPLETED" ? .success : .failed
    }

    /// One job (or array task) as `scontrol show job` describes it.
    struct JobRecord {
        let fields: [String: String]
        var state: String { fields["JobState"] ?? "UNKNOWN" }
        var reason: String { fields["Reason"] ?? "" }
        var exitCode: String { fields["ExitCode"] ?? "?" }
        /// The task's shard; nil while tasks are still pending together (`ArrayTaskId=2-4`).
        var arrayTask: Int? { fields["ArrayTaskId"].flatMap { Int($0) } }
        var hasEnded: Bool { !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "STAGE_OUT"].contains(state) }
    }

    /// The records `scontrol show job ID` prints (one per array task), or none once the job left
    /// the controller's memory.
    func records(of job: String) -> [JobRecord] {
        guard let text = try? run("scontrol", ["show", "job", job]) else { return [] }
        return Self.parseRecords(text)
    }

    /// `scontrol show job`'s output: blank-line separated records of `Key=Value` words.
    static func parseRecords(_ text: String) -> [JobRecord] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var fields: [String: String] = [:]
            for word in block.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                guard let equals = word.firstIndex(of: "=") else { continue }
                let key = String(word[..<equals])
                if fields[key] == nil { fields[key] = String(word[word.index(after: equals)...]) }
            }
            return fields.isEmpty ? nil : JobRecord(fields: fields)
        }
    }

    // MARK: Processes

    /// The job id in `sbatch --parsable`'s answer (`12` or `12;cluster`).
    func jobID(_ answer: String) throws -> String {
        let id = String(answer.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw RuntimeError("sbatch answered \"\(answer)\" instead of a job id; check the cluster with `sinfo`")
        }
        return id
    }

    /// Runs `command` (a path, or a name looked up on PATH); returns its standard output.
    /// - Throws: `RuntimeError` with the command's own error text when it fails.
    func run(_ command: String, _ arguments: [String]) throws -> String {
        guard let path = command.contains("/") ? command : Self.executable(named: command) else {
            throw RuntimeError("\(command) is not on PATH; run dpl submit where Slurm's commands are installed")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting, so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            let message = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw RuntimeError("`\(([(command as NSString).lastPathComponent] + arguments).joined(separator: " "))` failed: \(message.isEmpty ? "exit status \(process.terminationStatus)" : message)")
        }
        return text
    }

    /// The first executable file called `name` on PATH.
    static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = (String(folder) as NSString).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
