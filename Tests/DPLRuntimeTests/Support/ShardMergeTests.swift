import Foundation
import Testing
import DPLCommandLine
import DPLLang
@testable import DPLRuntime

/// Sharded runs and `dpl merge`: a script with an attack on a `seed=random` purification and
/// analyses, run whole and as three shards (each in a fresh session, as separate processes
/// would be), must merge into the very bytes the unsharded run wrote.
@Suite("sharded runs", .serialized)
struct ShardMergeTests {
    let fixture: ScriptFixture

    init() throws { fixture = try ScriptFixture.trained() }

    /// 16 images in batches of 4: three shards take batches [0], [1] and [2, 3].
    static let script = """
    set classifier = "$DIR/cnn.safetensors"
    set diffusion = "$DIR/unet.safetensors"
    set batch = 4
    let data = load images path="$DIR/images"
    data | attack pgd eps=0.2 steps=2 eot=2 | purify t=3 seed=random | classify eval="vote:3" outputs=logits | report as "random"
    data | attack fgsm eps=0.1 | purify t=3 seed=fixed | classify | measure compression radius=0.1 pairs=2 as "compression"
    data | purify t=3 seed=random | measure spread draws=3 as "spread"
    data | purify t=3 seed=fixed | measure distance to=purified p=inf as "distance"
    data | purify t=3 seed=random | classify eval="vote:3" outputs=probabilities | report as "outputs"
    results | save "out/r.json"
    """

    /// Runs `source` as a script file in a fresh driver; returns the exit code and errors.
    func run(_ source: String, name: String = "experiment.dpl", shard: ShardSpec? = nil) throws -> (code: Int32, errors: String) {
        let path = fixture.folder + "/" + name
        try source.replacingOccurrences(of: "$DIR", with: fixture.folder).write(toFile: path, atomically: true, encoding: .utf8)
        var errors: [String] = []
        let driver = Driver(registry: try BuiltinStages.makeRegistry(), output: { _ in }, errors: { errors.append($0) })
        let code = shard.map { driver.run(path: path, settingAssignments: [], shard: $0) } ?? driver.run(path: path)
        return (code, errors.joined(separator: "\n"))
    }

    func shardPath(_ k: Int, of n: Int) -> String { fixture.folder + "/out/r.shard-\(k)-of-\(n).json" }

    /// Runs the script whole and as three shards; returns the unsharded file's text.
    func runWholeAndSharded() throws -> String {
        let whole = try run(Self.script)
        #expect(whole.code == 0, "\(whole.errors)")
        let unsharded = try String(contentsOfFile: fixture.folder + "/out/r.json", encoding: .utf8)
        for k in 1...3 {
            let result = try run(Self.script, shard: try ShardSpec(index: k, count: 3))
            #expect(result.code == 0, "shard \(k): \(result.errors)")
        }
        return unsharded
    }

    @Test func mergedShardsEqualTheUnshardedRunBitForBit() throws {
        let unsharded = try runWholeAndSharded()
        let shard = try String(contentsOfFile: shardPath(2, of: 3), encoding: .utf8)
        #expect(shard.contains("\"shard\""), "a shard's JSON says which shard it is")
        #expect(unsharded.contains("compression_random_pairs") && unsharded.contains("\"samples\"") && unsharded.contains("\"probabilities\"")
                && unsharded.contains("\"adversarial_logits\""))
        let merged = fixture.folder + "/merged/any-name.json"
        try ShardMerge.merge(paths: [3, 1, 2].map { shardPath($0, of: 3) }, into: merged)
        let text = try String(contentsOfFile: merged, encoding: .utf8)
        // `run` (times, host) differs between any two runs; the rest must match to the byte.
        for key in ["dpl_version", "provenance", "results"] {
            let got = Self.topLevelEntry(key, of: text), want = Self.topLevelEntry(key, of: unsharded)
            #expect(got != nil && got == want, "\(key): \(Self.firstDifference(got ?? "", want ?? ""))")
        }
        // `run` names the file as `save` was given it (dpl verify reruns into it) and keeps each shard's run.
        let run = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["run"] as? [String: Any]
        #expect(run?["file"] as? String == "out/r.json")
        #expect((run?["shards"] as? [[String: Any]])?.count == 3)

        // `dpl verify` reruns a shard as that shard, and a merged file (under any name) as the
        // unsharded script, and both reproduce bit for bit (issues 14 and 17).
        for path in [shardPath(2, of: 3), merged] {
            var lines: [String] = []
            let verified = ResultVerifier(output: { lines.append($0) }, errors: { lines.append($0) }).verify(resultsPath: path)
            #expect(verified == .success, "\(path): \(lines.joined(separator: "\n"))")
        }

        // Merge errors, each refusing to write anything.
        let partial = fixture.folder + "/merged/partial.json"
        #expect(throws: (any Error).self) { try ShardMerge.merge(paths: [shardPath(1, of: 3), shardPath(3, of: 3)], into: partial) }
        do {
            _ = try ShardMerge.merged(paths: [shardPath(1, of: 3), shardPath(3, of: 3)])
        } catch {
            #expect("\(error)".contains("missing shard 2 of 3"), "\(error)")
            #expect("\(error)".contains("r.shard-2-of-3.json"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: partial))
        expectMergeError([shardPath(1, of: 3), shardPath(2, of: 3), shardPath(2, of: 3), shardPath(3, of: 3)], contains: "duplicate shard 2 of 3")

        let relabelled = fixture.folder + "/out/relabelled.json"
        try edit(shardPath(2, of: 3), into: relabelled) { document in
            var results = document["results"] as? [[String: Any]] ?? []
            results[0]["label"] = "something else"
            document["results"] = results
        }
        expectMergeError([shardPath(1, of: 3), relabelled, shardPath(3, of: 3)], contains: "has label \"something else\"")

        let recounted = fixture.folder + "/out/recounted.json"
        try edit(shardPath(2, of: 3), into: recounted) { document in document["shard"] = ["index": 2, "count": 4] }
        expectMergeError([shardPath(1, of: 3), recounted, shardPath(3, of: 3)], contains: "one of 4")

        let unshardedFile = fixture.folder + "/out/r.json"
        expectMergeError([unshardedFile, shardPath(2, of: 3)], contains: "has no \"shard\" entry")
    }

    @Test func trainingInAShardedRunIsAnErrorNamingTheFix() throws {
        let result = try run("""
        set batch = 4
        load images path="$DIR/images" | train classifier epochs=1 batch=4 | save "out/c.safetensors"
        """, name: "train.dpl", shard: try ShardSpec(index: 1, count: 2))
        #expect(result.code == ExitStatus.runtimeFailure)
        #expect(result.errors.contains("cannot run in a sharded run"), "\(result.errors)")
    }

    @Test func moreShardsThanBatchesIsAnError() throws {
        let result = try run("""
        set batch = 8
        load images path="$DIR/images" | classify model="$DIR/cnn.safetensors" | save "out/c.json"
        """, name: "many.dpl", shard: try ShardSpec(index: 1, count: 3))
        #expect(result.code == ExitStatus.runtimeFailure)
        #expect(result.errors.contains("run at most 2 shards"), "\(result.errors)")
    }

    @Test func anInterruptedAttackResumesFromItsLastFinishedBatchWithIdenticalResults() throws {
        let script = """
        set classifier = "$DIR/cnn.safetensors"
        set diffusion = "$DIR/unet.safetensors"
        set batch = 4
        load images path="$DIR/images" | attack pgd eps=0.2 steps=2 eot=2 | purify t=3 seed=random | classify eval="vote:3" | save "out/resume.json"
        """
        let reference = try run(script, name: "resume.dpl")
        #expect(reference.code == 0, "\(reference.errors)")
        let resultPath = fixture.folder + "/out/resume.json"
        let expected = try String(contentsOfFile: resultPath, encoding: .utf8)
        try FileManager.default.removeItem(atPath: resultPath)
        let journalFolder = fixture.folder + "/out/.dpl-journal"
        #expect(!FileManager.default.fileExists(atPath: journalFolder), "a finished attack deletes its journal")

        // Interrupt after two of the four batches, as Ctrl-C would.
        let text = script.replacingOccurrences(of: "$DIR", with: fixture.folder)
        let source = SourceFile(name: fixture.folder + "/resume.dpl", text: text)
        let interruptedState = RuntimeState()
        let interrupted = Session(registry: try BuiltinStages.makeRegistry(state: interruptedState)) { _ in }
        interruptedState.journaledBatch = { index in if index == 1 { interrupted.cancellation.cancel() } }
        #expect(interrupted.run(source).errorText?.contains("cancelled") == true)
        #expect(!FileManager.default.fileExists(atPath: resultPath))
        let journals = try FileManager.default.contentsOfDirectory(atPath: journalFolder)
        #expect(journals.count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: journalFolder + "/" + journals[0]).sorted() == ["batch-0.json", "batch-1.json"])

        // Started again, it computes only batches 3 and 4 and writes the same bytes.
        let resumedState = RuntimeState()
        var computed: [Int] = []
        resumedState.journaledBatch = { computed.append($0) }
        var printed: [String] = []
        let resumed = Session(registry: try BuiltinStages.makeRegistry(state: resumedState)) { printed.append($0) }
        let outcome = resumed.run(source)
        #expect(outcome.errorText == nil, "\(outcome.errorText ?? "")")
        #expect(printed.contains("resuming attack pgd from batch 3/4"), "\(printed)")
        #expect(computed == [2, 3])
        let written = try String(contentsOfFile: resultPath, encoding: .utf8)
        #expect(Self.topLevelEntry("results", of: written) == Self.topLevelEntry("results", of: expected))
        #expect(!FileManager.default.fileExists(atPath: journalFolder))
    }

    /// The first line where `a` and `b` differ, with the lines before it.
    /// The text of one top-level entry of a pretty-printed, key-sorted results file, compared as
    /// text so that no number goes through a parser (bit-for-bit means bit-for-bit).
    static func topLevelEntry(_ key: String, of text: String) -> String? {
        guard let start = text.range(of: "\n  \"\(key)\" : ") else { return nil }
        let rest = text[start.upperBound...]
        let end = rest.range(of: "\n  \"")?.lowerBound ?? rest.range(of: "\n}")?.lowerBound ?? rest.endIndex
        let entry = String(rest[..<end])
        return entry.hasSuffix(",") ? String(entry.dropLast()) : entry   // the last entry has no comma
    }

    static func firstDifference(_ a: String, _ b: String) -> String {
        let (left, right) = (a.components(separatedBy: "\n"), b.components(separatedBy: "\n"))
        guard let line = zip(left, right).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else {
            return "line counts differ: \(left.count) vs \(right.count)"
        }
        let context = left[max(0, line - 6)..<line].joined(separator: "\n")
        return "\(context)\nmerged:    \(left[line])\nunsharded: \(right[line])"
    }

    func expectMergeError(_ paths: [String], contains text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try ShardMerge.merged(paths: paths)
            Issue.record("merging \(paths) should fail with \(text)", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains(text), "\(error)", sourceLocation: sourceLocation)
        }
    }

    func edit(_ path: String, into output: String, _ change: (inout [String: Any]) -> Void) throws {
        var document = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
        change(&document)
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: output))
    }

    /// Images saved in a sharded run are the shard's own samples: each shard writes its own
    /// `.npz`, `.npy` and `.safetensors` instead of all shards racing for one file.
    @Test func imagesSavedByAShardGoToTheShardsOwnFiles() throws {
        let script = """
        set batch = 4
        load images path="$DIR/images" | save "out/d.npz" | save "out/labels.npy" array=labels | save "out/d.safetensors"
        """
        for k in 1...2 {
            let result = try run(script, name: "images.dpl", shard: try ShardSpec(index: k, count: 2))
            #expect(result.code == 0, "shard \(k): \(result.errors)")
        }
        for name in ["d.shard-1-of-2.npz", "d.shard-2-of-2.npz", "labels.shard-1-of-2.npy", "labels.shard-2-of-2.npy",
                     "d.shard-1-of-2.safetensors", "d.shard-2-of-2.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: fixture.folder + "/out/" + name), "\(name)")
        }
        for name in ["d.npz", "labels.npy", "d.safetensors"] {
            #expect(!FileManager.default.fileExists(atPath: fixture.folder + "/out/" + name), "no shard writes the unsharded \(name)")
        }
        // 16 images in 4 batches: each shard's labels are its 8 samples (int64 after a 128-byte header).
        let labels = try Data(contentsOf: URL(fileURLWithPath: fixture.folder + "/out/labels.shard-2-of-2.npy"))
        #expect(labels.count == 128 + 8 * 8)
    }
}

/// `--shard K/N` parsing and the batch ranges shards take.
@Suite("shard spec")
struct ShardSpecTests {
    @Test func parsesOneBasedShardsAndRejectsOthersWithTheFix() throws {
        #expect(try ShardSpec(parsing: "2/4") == ShardSpec(index: 2, count: 4))
        for bad in ["0/4", "5/4", "2", "a/b", "1/0", "-1/3"] {
            #expect(throws: ShardError.self) { try ShardSpec(parsing: bad) }
        }
        do { _ = try ShardSpec(parsing: "0/4") } catch { #expect("\(error)".contains("between 1 and 4")) }
        #expect(try ShardSpec(index: 2, count: 4).fileName(for: "out/r.json") == "out/r.shard-2-of-4.json")
    }

    @Test func shardsCoverEveryBatchOnceInOrder() throws {
        for (total, batch, count) in [(16, 4, 3), (10, 4, 2), (100, 7, 5), (3, 1, 3)] {
            var next = 0
            for k in 1...count {
                let rows = try ShardSpec(index: k, count: count).rows(total: total, batchSize: batch)
                #expect(rows.lowerBound == next && rows.lowerBound % batch == 0)
                next = rows.upperBound
            }
            #expect(next == total)
        }
    }
}
