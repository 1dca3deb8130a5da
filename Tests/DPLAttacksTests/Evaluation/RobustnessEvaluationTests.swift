import Foundation
import DPLDiffusion
import DPLTensor
import Testing
@testable import DPLAttacks

/// The library's evaluation loop, used without the language: batches, journal, resumption.
@Suite("robustness evaluation") struct RobustnessEvaluationTests {
    struct Interrupted: Error {}

    let labels = [0, 1, 1, 0, 1, 0, 0]

    /// A `seed=random` purification (analytic denoiser) and a linear classifier: randomness in
    /// the attack (PGD's start) and in the defense, so every batch depends on its keys.
    func defense() throws -> Defense {
        let denoiser = try AnalyticGaussianDenoiser(mean: 0.5, standardDeviation: 0.5, timeScale: .discrete(.ddpm))
        let purifier = try Purifier(model: denoiser, settings: PurificationSettings(t: 5, sampler: .ddim(steps: 2, eta: 1), seed: .random(stream: 9)))
        return .diffusionPurified(purifier, classifier: LinearClassifier.binary(w: (0..<16).map { Float($0 % 5) - 2 }, b: 0.1))
    }

    func evaluation(batchSize: Int, transfer: Bool = false, outputs: VerdictOutputKind? = nil) throws -> RobustnessEvaluation {
        let pgd = try PGD(budget: AttackBudget(norm: .linf, epsilon: 0.1), steps: 3, stepSize: 0.04, eot: 2, seed: 4)
        let defended = try defense()
        return try RobustnessEvaluation(attack: pgd, defense: defended, rule: .single,
                                        transferFrom: transfer ? .classifier(LinearClassifier.binary(w: (0..<16).map { Float($0 % 5) - 2 }, b: 0.1)) : nil,
                                        classes: 2, seed: 4, batchSize: batchSize, outputs: outputs)
    }

    func samples() -> AttackBatch { makeBatch(n: labels.count, labels: labels) }

    func temporaryFolder() -> String {
        (NSTemporaryDirectory() as NSString).appendingPathComponent("dpl-evaluation-\(UUID().uuidString)")
    }

    @Test func resultsDoNotDependOnTheBatchSize() throws {
        let s = samples()
        let whole = try evaluation(batchSize: 7).run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs)
        let split = try evaluation(batchSize: 3).run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs)
        #expect(whole.result.rows == split.result.rows)
        #expect(whole.adversarial.scalars == split.adversarial.scalars)
        #expect(whole.purified?.scalars == split.purified?.scalars)
        #expect(whole.result.n == 7 && whole.result.threatModel == .endToEnd)
        #expect(whole.purified?.shape == s.images.shape)
        // One batch by hand gives the same rows as the loop.
        let first = try AttackBatch(images: try s.images.slice(axis: 0, range: 0..<3), labels: Array(labels[0..<3]),
                                    sampleIDs: Array(s.sampleIDs[0..<3]))
        let e = try evaluation(batchSize: 3)
        let run = try runAttack(e.attack, on: first, against: e.defense)
        let byHand = try evaluateRobustness(batch: first, adversarial: run.outcome.adversarial, defense: e.defense,
                                            rule: .single, attack: e.attack, threatModel: .endToEnd)
        #expect(Array(split.result.rows[0..<3]) == byHand.rows)
    }

    /// A long batch shows it is moving (issue 14: a one-batch attack showed nothing for 30 s).
    @Test func activityCountsEveryDefenseCallOfEachBatch() throws {
        let s = samples()
        var seen: [Int: [Int]] = [:]
        _ = try evaluation(batchSize: 4).run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs,
                                             activity: { batch, calls in seen[batch, default: []].append(calls) })
        #expect(seen.keys.sorted() == [0, 1])
        for calls in seen.values {
            #expect(calls == Array(1...calls.count), "counted 1, 2, 3, … within the batch")
            // PGD-3 with EOT 2: at least its 3 × 2 gradient draws, then the verdicts.
            #expect(calls.count >= 6)
        }
    }

    /// Where the attack is inside a batch: every iterate of PGD-3 (the start and three steps),
    /// with the batch's mean loss at it and the samples fooled so far.
    @Test func everyIterateOfTheAttackIsObservedWithItsLossAndFooledCount() throws {
        let s = samples()
        var steps: [Int: [AttackStep]] = [:]
        let outcome = try evaluation(batchSize: 4).run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs,
                                                       step: { batch, step in steps[batch, default: []].append(step) })
        #expect(steps.keys.sorted() == [0, 1])
        for (batch, observed) in steps {
            #expect(observed.map(\.iteration) == [0, 1, 2, 3])
            #expect(observed.allSatisfy { $0.iterations == 4 && $0.restarts == 1 && $0.samples == (batch == 0 ? 4 : 3) })
            #expect(observed.last?.completed == 1 && observed.first?.completed == 0.25)
            #expect(zip(observed, observed.dropFirst()).allSatisfy { $0.fooled <= $1.fooled }, "fooled only grows")
            #expect(observed.allSatisfy { $0.meanLoss.isFinite && $0.meanLoss > 0 })
        }
        #expect(outcome.result.n == 7)
    }

    @Test func aTransferEvaluationAttacksTheClassifierAndJudgesTheDefense() throws {
        let s = samples()
        let outcome = try evaluation(batchSize: 4, transfer: true).run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs)
        #expect(outcome.result.threatModel == .transferFromClassifier)
        #expect(outcome.result.defense.hasPrefix("purify"))
    }

    @Test func anInterruptedEvaluationResumesFromItsJournalWithIdenticalResults() throws {
        let s = samples()
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let e = try evaluation(batchSize: 3)
        let key = try e.journalKey(images: s.images, sampleIDs: s.sampleIDs, version: "test")
        #expect(key.hasPrefix("attack-pgd-"))
        let journalFolder = (folder as NSString).appendingPathComponent(key)
        let uninterrupted = try e.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs)

        // Stop once the first batch is journaled.
        var stop = false
        #expect(throws: Interrupted.self) {
            try e.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs,
                      journal: EvaluationJournal(folder: journalFolder, batchCount: 3, emptyParents: [folder]),
                      batchFinished: { _ in stop = true }, checkCancellation: { if stop { throw Interrupted() } })
        }
        let journal = EvaluationJournal(folder: journalFolder, batchCount: 3, emptyParents: [folder])
        #expect(journal.finishedBatches == 1)
        var computed: [Int] = []
        let resumed = try e.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs, journal: journal,
                                batchFinished: { computed.append($0) })
        #expect(resumed.resumedBatches == 1 && computed == [1, 2])
        #expect(resumed.result.rows == uninterrupted.result.rows)
        #expect(resumed.result.flags == uninterrupted.result.flags)
        #expect(resumed.adversarial.scalars == uninterrupted.adversarial.scalars)
        #expect(resumed.purified?.scalars == uninterrupted.purified?.scalars)
        // A finished evaluation deletes its journal and the parent it was allowed to remove.
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    /// `classify outputs=` after an attack: each row keeps both verdicts' logits, the same bits
    /// whether the batch was computed or read back from the journal, under its own journal key.
    @Test func rowsKeepBothVerdictsOutputsThroughTheJournal() throws {
        let s = samples()
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let plain = try evaluation(batchSize: 3), withLogits = try evaluation(batchSize: 3, outputs: .logits)
        #expect(try plain.journalKey(images: s.images, sampleIDs: s.sampleIDs, version: "test")
                != withLogits.journalKey(images: s.images, sampleIDs: s.sampleIDs, version: "test"),
                "a journal without outputs is never resumed by an evaluation that keeps them")
        let uninterrupted = try withLogits.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs)
        let without = try plain.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs)
        for (row, bare) in zip(uninterrupted.result.rows, without.result.rows) {
            let outputs = try #require(row.outputs)
            #expect(outputs.kind == .logits && outputs.clean.count == 2 && outputs.adversarial.count == 2)
            // The verdicts the outputs belong to: a deterministic linear head after a seeded purifier.
            #expect((outputs.clean[1] > outputs.clean[0] ? 1 : 0) == row.cleanPrediction)
            #expect((outputs.adversarial[1] > outputs.adversarial[0] ? 1 : 0) == row.adversarialPrediction)
            var stripped = row
            stripped.outputs = nil
            #expect(stripped == bare, "outputs change nothing else in the row")
        }
        var stop = false
        _ = try? withLogits.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs,
                                journal: EvaluationJournal(folder: folder, batchCount: 3),
                                batchFinished: { _ in stop = true }, checkCancellation: { if stop { throw Interrupted() } })
        let resumed = try withLogits.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs,
                                         journal: EvaluationJournal(folder: folder, batchCount: 3))
        #expect(resumed.resumedBatches == 1)
        #expect(resumed.result.rows == uninterrupted.result.rows, "bit-identical outputs from the journal")
        // Rows with and without outputs are different experiments' parts: merging them is an error.
        #expect(throws: AttackError.self) { try uninterrupted.result.merged(with: without.result) }
    }

    /// A journal entry whose outputs do not match what the evaluation keeps is refused.
    @Test func aJournalEntryWithoutTheAskedOutputsIsAnError() throws {
        let s = samples()
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let e = try evaluation(batchSize: 3, outputs: .probabilities)
        var stop = false
        _ = try? e.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs, journal: EvaluationJournal(folder: folder, batchCount: 3),
                       batchFinished: { _ in stop = true }, checkCancellation: { if stop { throw Interrupted() } })
        let entry = (folder as NSString).appendingPathComponent("batch-0.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: entry))) as? [String: Any])
        object["rows"] = try #require(object["rows"] as? [[String: Any]]).map { row in
            var row = row
            row["adversarialOutputBits"] = nil
            return row
        }
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: entry))
        let error = try #require(throws: AttackError.self) {
            try e.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs, journal: EvaluationJournal(folder: folder, batchCount: 3))
        }
        #expect("\(error)".contains("delete \(folder)"))
    }

    @Test func aJournalEntryForOtherSamplesIsAnErrorNotAResult() throws {
        let s = samples()
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let e = try evaluation(batchSize: 3)
        var stop = false
        _ = try? e.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs,
                       journal: EvaluationJournal(folder: folder, batchCount: 3),
                       batchFinished: { _ in stop = true }, checkCancellation: { if stop { throw Interrupted() } })
        let entry = (folder as NSString).appendingPathComponent("batch-0.json")
        let text = try String(contentsOfFile: entry, encoding: .utf8)
        // Forge the entry: drop a sample, as an altered artifact could.
        var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        object["rows"] = Array(try #require(object["rows"] as? [Any]).dropLast())
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: entry))
        let error = try #require(throws: AttackError.self) {
            try e.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs, journal: EvaluationJournal(folder: folder, batchCount: 3))
        }
        #expect("\(error)".contains("delete \(folder)"))
        // A journal laid out for another batch count is refused before anything runs.
        #expect(throws: AttackError.self) {
            try e.run(images: s.images, labels: s.labels, sampleIDs: s.sampleIDs, journal: EvaluationJournal(folder: folder, batchCount: 2))
        }
    }

    @Test func inconsistentInputsAreErrors() throws {
        let s = samples()
        #expect(throws: AttackError.self) { try evaluation(batchSize: 3).run(images: s.images, labels: [0], sampleIDs: s.sampleIDs) }
        #expect(throws: AttackError.self) { try evaluation(batchSize: 0) }
    }
}
