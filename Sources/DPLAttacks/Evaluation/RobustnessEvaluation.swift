import DPLTensor

// MARK: - Robustness evaluation

/// A whole robustness evaluation: a dataset in batches → the attack → the defense's verdicts
/// on the clean and adversarial images → one `RobustnessResult` with a row per sample, with a
/// resumable journal. The library owns this loop, as AutoAttack's `run_standard_evaluation`
/// does (Croce & Hein 2020, github.com/fra31/auto-attack, autoattack.py), so a Swift program,
/// the language's `attack` stage and `dpl-bench` all run the same code.
///
/// Every batch is independent: the attack's randomness and the defense's are keyed by sample
/// id and call index (`DefenseCallIndex`), so the result does not depend on the batch size
/// beyond the journal's layout, and a resumed run is bit-identical to an uninterrupted one.
public struct RobustnessEvaluation {
    /// The attack.
    public let attack: Attack
    /// The defense whose accuracy is reported.
    public let defense: Defense
    /// The defense the attack optimizes against: `defense` itself (end-to-end, adaptive) or,
    /// for a transfer evaluation, the classifier alone.
    public let attacked: Defense
    /// What the attack was allowed to see.
    public let threatModel: ThreatModel
    /// How verdicts of a randomized defense are formed.
    public let rule: EvaluationRule
    /// The targets of a targeted attack, or `nil` for an untargeted one.
    public let targetRule: TargetRule?
    /// The number of classes (for random and least-likely targets).
    public let classes: Int
    /// The seed of the attack's and the targets' keyed randomness.
    public let seed: UInt64
    /// Images per batch (and per journal entry).
    public let batchSize: Int
    /// Which verdict outputs each sample's row keeps; nil: none.
    public let outputs: VerdictOutputKind?

    /// An end-to-end evaluation of `defense`, or a transfer evaluation when `transferFrom`
    /// gives the defense the attack sees instead (the classifier alone).
    /// - Throws: `AttackError` for a batch size below 1.
    public init(attack: Attack, defense: Defense, rule: EvaluationRule = .single, transferFrom attacked: Defense? = nil,
                targetRule: TargetRule? = nil, classes: Int, seed: UInt64 = 0, batchSize: Int,
                outputs: VerdictOutputKind? = nil) throws {
        guard batchSize >= 1 else {
            throw AttackError("evaluation", "the batch size is \(batchSize); give at least 1 image per batch")
        }
        self.attack = attack
        self.defense = defense
        self.attacked = attacked ?? defense
        threatModel = attacked == nil ? .endToEnd : .transferFromClassifier
        self.rule = rule
        self.targetRule = targetRule
        self.classes = classes
        self.seed = seed
        self.batchSize = batchSize
        self.outputs = outputs
    }

    /// What an evaluation produced.
    public struct Outcome {
        /// The result over all samples (flags counted over the whole evaluation).
        public var result: RobustnessResult
        /// The adversarial images, one row per sample.
        public var adversarial: Tensor
        /// The defense's transforms applied to the adversarial images (its final verdict's
        /// first draw), or `nil` for a defense without transforms.
        public var purified: Tensor?
        /// How many batches were read back from the journal instead of computed.
        public var resumedBatches: Int
    }

    /// The batches of `count` samples: consecutive ranges of `batchSize`.
    public func batchRanges(count: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: batchSize).map { $0..<min(count, $0 + batchSize) }
    }

    /// Evaluates the samples `images` (`[N, C, H, W]` in [0, 1]) with their labels and ids.
    ///
    /// - Parameters:
    ///   - journal: where finished batches are stored and read back (see `journalKey`); a
    ///     journal that cannot be written is reported to `journalFailed` and dropped, and the
    ///     evaluation goes on without it.
    ///   - progress: called after each batch with the number of samples done.
    ///   - batchFinished: called after each computed batch is journaled, with its index.
    ///   - activity: called before every defense call of a computed batch with the batch's
    ///     index and how many calls it has made so far, so a long batch shows it is moving.
    ///   - step: called after every iterate of the attack with the batch's index and where the
    ///     attack is (restart, iterate, mean loss, samples fooled so far).
    ///   - checkCancellation: runs before every call of the defense; what it throws ends the
    ///     evaluation unchanged (the journal keeps the finished batches).
    /// - Throws: `AttackError` for inconsistent inputs, a target rule with nothing to attack, a
    ///   malformed journal entry or an adversarial input outside the budget; errors of the
    ///   defense and of `checkCancellation`.
    public func run(images: Tensor, labels: [Int], sampleIDs: [UInt64], journal: EvaluationJournal? = nil,
                    progress: (Int) -> Void = { _ in }, batchFinished: (Int) -> Void = { _ in },
                    activity: @escaping (_ batch: Int, _ calls: Int) -> Void = { _, _ in },
                    step: @escaping (_ batch: Int, _ step: AttackStep) -> Void = { _, _ in },
                    journalFailed: (EvaluationJournal, Error) -> Void = { _, _ in },
                    checkCancellation: @escaping () throws -> Void = {}) throws -> Outcome {
        guard images.rank == 4, images.shape[0] == labels.count, labels.count == sampleIDs.count else {
            throw AttackError("evaluation", "images of shape \(images.shape) need rank 4 with one label and one sample id per row; \(labels.count) labels and \(sampleIDs.count) ids were given")
        }
        try targetRule?.validate(labels: labels)
        let ranges = batchRanges(count: labels.count)
        var journal = journal
        if let given = journal, given.batchCount != ranges.count {
            throw AttackError("evaluation", "the journal \(given.folder) is laid out for \(given.batchCount) batches but the evaluation has \(ranges.count)")
        }
        let resumed = journal?.finishedBatches ?? 0
        var result: RobustnessResult?
        var batchFlags: [[SanityFlag]] = []
        var adversarialPieces: [Tensor] = [], purifiedPieces: [Tensor] = []
        for (index, range) in ranges.enumerated() {
            try checkCancellation()
            var batch = try AttackBatch(images: range == 0..<labels.count ? images : try images.slice(axis: 0, range: range),
                                        labels: Array(labels[range]), sampleIDs: Array(sampleIDs[range]))
            batch.observeStep = { step(index, $0) }
            let piece: BatchOutcome
            if let journal, index < resumed {
                piece = try read(batch: index, of: batch, from: journal)
            } else {
                // Every defense call passes through the cancellation check first: count them there.
                var calls = 0
                piece = try evaluate(batch, checkCancellation: {
                    try checkCancellation()
                    calls += 1
                    activity(index, calls)
                })
                if let writing = journal {
                    do {
                        try writing.write(batch: index, piece.entry)
                        batchFinished(index)
                    } catch {
                        journalFailed(writing, error)
                        journal = nil
                    }
                }
            }
            result = try result.map { try $0.merged(with: piece.result) } ?? piece.result
            batchFlags.append(piece.result.flags)
            adversarialPieces.append(piece.adversarial)
            if let purified = piece.purified { purifiedPieces.append(purified) }
            progress(range.upperBound)
        }
        journal?.remove()
        guard var result else {
            throw AttackError("evaluation", "there are no samples to evaluate; give at least one image")
        }
        // Per-sample flags count over the whole evaluation, as `dpl merge` recounts them.
        result.flags = SanityFlag.combining(batchFlags, n: result.n)
        return Outcome(result: result, adversarial: try Tensor.concat(adversarialPieces, axis: 0),
                       purified: purifiedPieces.isEmpty ? nil : try Tensor.concat(purifiedPieces, axis: 0),
                       resumedBatches: resumed)
    }

    // MARK: One batch

    private struct BatchOutcome {
        var result: RobustnessResult
        var adversarial: Tensor
        var purified: Tensor?

        var entry: EvaluationJournal.Entry {
            EvaluationJournal.Entry(rows: result.rows.map(EvaluationJournal.Row.init),
                                    flags: result.flags.map(EvaluationJournal.Flag.init),
                                    adversarial: EvaluationJournal.StoredTensor(adversarial),
                                    purified: purified.map(EvaluationJournal.StoredTensor.init))
        }
    }

    /// Attacks one batch and judges it.
    private func evaluate(_ batch: AttackBatch, checkCancellation: @escaping () throws -> Void) throws -> BatchOutcome {
        var targets: [Int?]?
        let found: Tensor, flags: [SanityFlag]
        if let targetRule {
            // Targets come from the full defense (least-likely), whatever the threat model.
            let chosen = try targetRule.targets(for: batch, classes: classes, seed: seed, defense: defense)
            (found, flags) = try runTargetedAttack(attack, on: batch, targets: chosen, against: attacked,
                                                   checkCancellation: checkCancellation)
            targets = chosen
        } else {
            let run = try runAttack(attack, on: batch, against: attacked, checkCancellation: checkCancellation)
            (found, flags) = (run.outcome.adversarial, run.flags)
        }
        return try withoutGradients {
            let result = try evaluateRobustness(batch: batch, adversarial: found, defense: defense, rule: rule,
                                                attack: attack, threatModel: threatModel, flags: flags,
                                                targetRule: targetRule, targets: targets, outputs: outputs,
                                                checkCancellation: checkCancellation)
            let purified = defense.transforms.isEmpty ? nil
                : try defense.transformed(found, sampleIDs: batch.sampleIDs, call: DefenseCallIndex.make(.adversarialEvaluation))
            return BatchOutcome(result: result, adversarial: found, purified: purified)
        }
    }

    /// A finished batch read back from the journal, checked against the batch it must be.
    private func read(batch index: Int, of batch: AttackBatch, from journal: EvaluationJournal) throws -> BatchOutcome {
        let entry = try journal.read(batch: index)
        let rows = entry.rows.compactMap(\.sampleRow)
        guard rows.count == entry.rows.count, rows.map(\.sampleID) == batch.sampleIDs, rows.map(\.label) == batch.labels else {
            throw journal.malformed(index, "does not hold this batch's samples (\(batch.count) rows with its ids and labels)")
        }
        guard rows.allSatisfy({ $0.outputs?.kind == outputs && ($0.outputs.map { $0.clean.count == classes } ?? true) }) else {
            throw journal.malformed(index, "does not hold the model outputs this evaluation keeps (\(outputs?.rawValue ?? "none"))")
        }
        let flags = entry.flags.compactMap(\.sanityFlag)
        guard flags.count == entry.flags.count else { throw journal.malformed(index, "holds an unknown sanity flag") }
        guard let adversarial = entry.adversarial.tensor(expected: batch.images.shape) else {
            throw journal.malformed(index, "holds adversarial images that are not of shape \(batch.images.shape)")
        }
        var purified: Tensor?
        if !defense.transforms.isEmpty {
            guard let stored = entry.purified?.tensor(expected: batch.images.shape) else {
                throw journal.malformed(index, "holds no purified images of shape \(batch.images.shape)")
            }
            purified = stored
        }
        var result = RobustnessResult(attack: attack.settingsDescription, attackSettings: attack.settings,
                                      threatModel: threatModel, defense: defense.description, rule: rule,
                                      rows: rows, flags: flags)
        result.targetRule = targetRule
        return BatchOutcome(result: result, adversarial: adversarial, purified: purified)
    }

    // MARK: Journal key

    /// The key of this evaluation's journal on these samples: `attack-<method>-<digest>` of
    /// everything the batches' results depend on — `version` (the program's), the attack's
    /// settings, the threat model, the defense, the rule, the targets, the batch size, the
    /// seed, the model outputs kept, the samples' ids and pixels, and the defense's output on the first batch under a
    /// fixed call index, which changes whenever a model file, a purification setting or a
    /// `seed=random` stream changes. Anything else (an unrelated line of a script) keeps it.
    public func journalKey(images: Tensor, sampleIDs: [UInt64], version: String) throws -> String {
        var digest = JournalDigest()
        for text in ["attack", version, attack.settingsDescription, "\(threatModel)", defense.description, "\(rule)",
                     targetRule.map { "target \($0)" } ?? "untargeted",
                     "batch \(batchSize)", "seed \(seed)", sampleIDs.map(String.init).joined(separator: ",")] {
            digest.add(text)
        }
        // Only when asked, so journals of evaluations without outputs keep their keys.
        if let outputs { digest.add("outputs \(outputs.rawValue)") }
        digest.add(images)
        if let first = batchRanges(count: sampleIDs.count).first {
            let rows = first == 0..<sampleIDs.count ? images : try images.slice(axis: 0, range: first)
            digest.add(try withoutGradients {
                try defense.logits(rows, sampleIDs: Array(sampleIDs[first]), call: DefenseCallIndex.make(.analysis))
            })
        }
        return "attack-\(attack.name)-\(digest.hex)"
    }
}
