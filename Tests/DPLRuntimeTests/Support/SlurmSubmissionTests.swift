import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// `dpl submit --slurm`: the batch scripts it writes, which shards it still runs, and how it
/// reads `scontrol show job`. scripts/slurm-test.sh runs the same code on a real Slurm cluster.
@Suite("slurm submission")
struct SlurmSubmissionTests {
    /// A script file in a fresh folder; returns its path.
    func script(_ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-submit-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/eval.dpl"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let evaluation = """
    set batch = 4
    let data = load fashion-mnist split=test n=16
    data | classify | save "clean.csv"
    for eps in [4/255, 8/255] { data | attack fgsm eps=eps | classify | report }
    results | save "out/results.json"
    """

    @Test func findsTheJSONFilesTheScriptSaves() throws {
        let path = try script(Self.evaluation)
        let submission = try SlurmSubmission(script: path, shardCount: 4, executable: "/opt/dpl", options: .init())
        let folder = (path as NSString).deletingLastPathComponent
        #expect(submission.results == [folder + "/out/results.json"])
        #expect(submission.shardFile(submission.results[0], shard: 3) == folder + "/out/results.shard-3-of-4.json")
    }

    @Test func refusesAScriptWithoutALiteralJSONSave() throws {
        let none = try script("load fashion-mnist split=test n=4 | classify | save \"r.csv\"")
        #expect(throws: SlurmSubmission.Problem.self) { try SlurmSubmission(script: none, shardCount: 2, executable: "dpl", options: .init()) }
        let built = try script("let name = \"a\"\nload fashion-mnist split=test n=4 | classify | save \"r-{name}.json\"")
        #expect(throws: SlurmSubmission.Problem.self) { try SlurmSubmission(script: built, shardCount: 2, executable: "dpl", options: .init()) }
        #expect(throws: SlurmSubmission.Problem.self) { try SlurmSubmission(script: "/nonexistent/x.dpl", shardCount: 2, executable: "dpl", options: .init()) }
    }

    @Test func runsOnlyTheMissingShards() throws {
        let submission = try SlurmSubmission(script: try script(Self.evaluation), shardCount: 4, executable: "dpl", options: .init())
        let present: Set<String> = [1, 2, 4].map { submission.shardFile(submission.results[0], shard: $0) }.reduce(into: []) { $0.insert($1) }
        #expect(submission.missingShards(fileExists: present.contains) == [3])
        #expect(submission.missingShards(fileExists: { _ in false }) == [1, 2, 3, 4])
        #expect(SlurmSubmission.arrayList([1, 2, 3, 4]) == "1-4")
        #expect(SlurmSubmission.arrayList([4, 1, 2]) == "1-2,4")
        #expect(SlurmSubmission.arrayList([3]) == "3")
    }

    @Test func arrayScriptRunsOneShardPerTaskWithItsCPUs() throws {
        let options = SlurmSubmission.Options(partition: "gpu", time: "2:00:00", cpusPerTask: 8, memory: "4G",
                                              settingAssignments: ["seed=3", "classifier=\"my model.safetensors\""])
        let submission = try SlurmSubmission(script: try script(Self.evaluation), shardCount: 4, executable: "/opt/dpl", options: options)
        let text = submission.shardScript(shards: [2, 4])
        for line in ["#SBATCH --array=2,4", "#SBATCH --cpus-per-task=8", "#SBATCH --partition=gpu", "#SBATCH --time=2:00:00",
                     "#SBATCH --mem=4G", "#SBATCH --job-name=dpl-eval-4", "threads=\"${SLURM_CPUS_PER_TASK:-8}\""] {
            #expect(text.contains(line + "\n"), "missing \(line)")
        }
        #expect(text.contains("exec /opt/dpl run \(submission.script) --shard \"${SLURM_ARRAY_TASK_ID}/4\" --set seed=3 --set 'classifier=\"my model.safetensors\"' --set \"threads=${threads}\""))
        let ownThreads = try SlurmSubmission(script: submission.script, shardCount: 4, executable: "/opt/dpl",
                                             options: .init(settingAssignments: ["threads=2"]))
        #expect(!ownThreads.shardScript(shards: [1]).contains("${threads}\""))
    }

    @Test func mergeScriptMergesEveryShardThenVerifies() throws {
        let submission = try SlurmSubmission(script: try script(Self.evaluation), shardCount: 3, executable: "/opt/dpl", options: .init())
        let result = submission.results[0]
        let shards = (1...3).map { submission.shardFile(result, shard: $0) }.joined(separator: " ")
        let text = submission.mergeScript()
        #expect(text.contains("/opt/dpl merge \(shards) -o \(result)\n"))
        #expect(text.contains("/opt/dpl verify \(result)\n"))
        let unverified = try SlurmSubmission(script: submission.script, shardCount: 3, executable: "/opt/dpl", options: .init(verify: false))
        #expect(!unverified.mergeScript().contains("verify \(result)"))
    }

    @Test func readsArrayTasksFromScontrol() {
        let text = """
        JobId=14 ArrayJobId=10 ArrayTaskId=3 JobName=dpl-eval-4
           JobState=CANCELLED Reason=None Dependency=(null)
           ExitCode=0:15

        JobId=12 ArrayJobId=10 ArrayTaskId=1 JobName=dpl-eval-4
           JobState=COMPLETED Reason=None Dependency=(null)
           ExitCode=0:0

        JobId=10 ArrayJobId=10 ArrayTaskId=2-4 JobName=dpl-eval-4
           JobState=PENDING Reason=Resources Dependency=(null)
        """
        let records = SlurmClient.parseRecords(text)
        #expect(records.map(\.arrayTask) == [3, 1, nil])
        #expect(records.map(\.state) == ["CANCELLED", "COMPLETED", "PENDING"])
        #expect(records.map(\.hasEnded) == [true, true, false])
        #expect(records[0].exitCode == "0:15")
        #expect(SlurmSubmission.quoted("it's") == "'it'\\''s'")
    }
}
