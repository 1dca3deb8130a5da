import Foundation
import DPLAttacks
import DPLLang
import DPLTensor

/// `attack pgd eps=8/255 | purify … | classify` — attacks the composition of every stage after
/// it up to and including `classify` (an adaptive, end-to-end attack by construction), then
/// evaluates the defense on the clean and the adversarial images under classify's evaluation
/// rule, and passes the results to the stages after `classify`. `against=classifier` attacks
/// the classifier alone and transfers the result (the non-adaptive setting); every result
/// names its threat model.
enum AttackStage {
    static let methods = ["fgsm", "pgd", "apgd", "square"]

    static let signature = StageSignature(
        name: "attack", doc: "Attacks the whole defense after it (every stage up to classify) and reports clean and robust accuracy.",
        // What flows on to the defense stages is the batch being attacked.
        input: .kinds([RuntimeKinds.dataset, RuntimeKinds.batch]), output: RuntimeKinds.batch,
        parameters: [
            Parameter("method", .choice(methods), required: true, doc: "fgsm, pgd, apgd (AutoAttack's APGD) or square (score-based, no gradients)."),
            Parameter("eps", .number, default: .number(8.0 / 255.0), minimum: 0, maximum: 1, doc: "Perturbation budget in the chosen norm, on [0, 1] pixels.",
                      tooLargeHint: "pixels are on the [0, 1] scale, so write eps=8/255 for 8 of 255 levels"),
            Parameter("norm", .choice(["linf", "l2"]), default: .name("linf"), doc: "Budget norm."),
            Parameter("steps", .integer, minimum: 0, doc: "Iterations (default: pgd 10, apgd 100)."),
            Parameter("step", .number, minimum: 0, doc: "pgd step size (default 2.5·eps/steps)."),
            Parameter("restarts", .integer, default: .number(1), minimum: 1, doc: "Random restarts (pgd, apgd, square); the best adversarial per sample is kept."),
            Parameter("random_start", .bool, default: .bool(true), doc: "pgd: start from a random point in the budget."),
            Parameter("keep", .choice(IterateRule.allCases.map(\.rawValue)), default: .name("best"), doc: "pgd: which iterate is the adversarial input: best (the first misclassified during the search, else the highest loss) or last (where the search ended)."),
            Parameter("eot", .integer, default: .number(1), minimum: 1, doc: "Expectation over transformation: average each gradient (square: each score) over K draws of the defense's randomness."),
            Parameter("loss", .choice(["ce", "dlr", "margin"]), doc: "Loss maximized (default: ce; square: margin)."),
            Parameter("queries", .integer, default: .number(1000), minimum: 1, doc: "square: queries per restart."),
            Parameter("against", .choice(["defense", "classifier"]), default: .name("defense"), doc: "defense: attack everything up to classify (adaptive); classifier: attack the classifier alone and transfer (non-adaptive)."),
            Parameter("target", .oneOf([.choice(["random", "least-likely"]), .integer]), doc: "Targeted attack: class N (samples labelled N are not attacked), random (keyed, never the label) or least-likely (the defense's lowest clean logit); success = the target is predicted."),
        ], positional: ["method"], attacksDownstream: true)

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { input, arguments, downstream, context in
            let record = try ImageRecord.from(input, stage: "attack")
            let settings = SessionSettings(context)
            try record.materialize(batchSize: settings.batchSize, call: DefenseCallIndex.make(.analysis))
            guard let classifyIndex = downstream.firstIndex(where: { $0.name == "classify" }) else {
                throw RuntimeError("`attack` attacks the defense that follows it and needs `classify` to end it: attack pgd | purify t=100 | classify")
            }
            // Run the defense's stages on a probe record: each adds its lazy transform.
            let probe = ImageRecord(copying: record)
            let probed = try BoundStage.runChain(Array(downstream[..<classifyIndex]), input: .runtime(probe), context: context)
            guard let defended = probed.runtimeValue(as: ImageRecord.self), defended.evaluation == nil else {
                throw RuntimeError("only image stages such as `purify` may stand between `attack` and `classify`")
            }
            let transforms = defended.pendingTransforms
            let setup = try ClassifierSetup(arguments: downstream[classifyIndex].arguments, context: context, state: state)
            let defense = setup.defense(transforms: transforms)
            let args = ArgumentReader(stage: "attack", arguments: arguments)
            let againstClassifier = try args.text("against") == "classifier"
            let attacked = againstClassifier ? setup.defense(transforms: []) : defense
            let threat: ThreatModel = againstClassifier ? .transferFromClassifier : .endToEnd
            let attack = try makeAttack(args, seed: settings.seed)
            let targetRule = try makeTargetRule(args)
            try targetRule?.validate(labels: record.labels)

            var result: RobustnessResult?
            var batchFlags: [[SanityFlag]] = []
            var adversarialPieces: [Tensor] = [], purifiedPieces: [Tensor] = []
            let keys = record.sampleKeys
            let ranges = record.batchRanges(size: settings.batchSize)
            var journal = ranges.count > 1
                ? try makeJournal(record: record, ranges: ranges, attack: attack, threat: threat, defense: defense,
                                  rule: setup.rule, targetRule: targetRule, settings: settings, context: context) : nil
            let resumed = journal?.finishedBatches ?? 0
            if resumed > 0 { context.print("resuming attack \(attack.name) from batch \(resumed + 1)/\(ranges.count)") }
            let progress = ProgressReporter("attack \(attack.name)", total: record.count, unit: "img",
                                            alreadyDone: resumed > 0 ? ranges[resumed - 1].upperBound : 0)
            defer { progress.close() }
            for (index, range) in ranges.enumerated() {
                try context.checkCancellation()
                let batch = try AttackBatch(images: ImageRecord.rows(record.current, range),
                                            labels: Array(record.labels[range]), sampleIDs: Array(keys[range]))
                let piece: RobustnessResult, adversarial: Tensor, purified: Tensor?
                if let journal, index < resumed {
                    (piece, adversarial, purified) = try readBatch(index, from: journal, attack: attack, threat: threat,
                                                                   defense: defense, rule: setup.rule, targetRule: targetRule)
                } else {
                    // Polled before every defense call: Ctrl-C stops the attack within one iteration.
                    let check = { [context] in try context.checkCancellation() }
                    var targets: [Int?]?
                    let found: Tensor, flags: [SanityFlag]
                    if let targetRule {
                        // Targets come from the full defense (least-likely), whatever `against` says.
                        let chosen = try targetRule.targets(for: batch, classes: setup.classifier.classCount,
                                                            seed: settings.seed, defense: defense)
                        (found, flags) = try runTargetedAttack(attack, on: batch, targets: chosen, against: attacked,
                                                               checkCancellation: check)
                        targets = chosen
                    } else {
                        let run = try runAttack(attack, on: batch, against: attacked, checkCancellation: check)
                        (found, flags) = (run.outcome.adversarial, run.flags)
                    }
                    piece = try withoutGradients {
                        try evaluateRobustness(batch: batch, adversarial: found, defense: defense,
                                               rule: setup.rule, attack: attack, threatModel: threat, flags: flags,
                                               targetRule: targetRule, targets: targets, checkCancellation: check)
                    }
                    adversarial = found
                    purified = transforms.isEmpty ? nil : try withoutGradients {
                        try transforms.apply(found, sampleIDs: batch.sampleIDs,
                                             call: DefenseCallIndex.make(.adversarialEvaluation))
                    }
                    if let writing = journal {
                        do {
                            try writeBatch(index, to: writing, piece: piece, adversarial: adversarial, purified: purified)
                            state.journaledBatch?(index)
                        } catch {
                            context.print("note: cannot write the journal \(writing.folder) (\(error)); this attack will not be resumable")
                            journal = nil
                        }
                    }
                }
                result = try result.map { try $0.merged(with: piece) } ?? piece
                batchFlags.append(piece.flags)
                adversarialPieces.append(adversarial)
                if let purified { purifiedPieces.append(purified) }
                progress.update(range.upperBound)
            }
            journal?.remove()
            let output = ImageRecord(copying: record)
            if !adversarialPieces.isEmpty {
                output.current = try Tensor.concat(adversarialPieces, axis: 0)
                output.takeSnapshot("adversarial", output.current)
            }
            if !purifiedPieces.isEmpty { output.takeSnapshot("purified", try Tensor.concat(purifiedPieces, axis: 0)) }
            output.pendingTransforms = []
            output.defenseTransforms = transforms
            output.defenseClassifier = setup
            let targetText = targetRule.map { " \($0)" } ?? ""
            output.trail += ["attack \(attack.settingsDescription)\(targetText) (\(threat))"] + transforms.map(\.description)
                + ["classify \(setup.modelDescription) eval=\(setup.rule)"]
            if var result {
                // Per-sample flags count over the whole evaluation, as `dpl merge` recounts them.
                result.flags = SanityFlag.combining(batchFlags, n: result.n)
                output.evaluation = .robustness(result)
            }
            return try BoundStage.runChain(Array(downstream[(classifyIndex + 1)...]), input: .runtime(output), context: context)
        }
    }

    // MARK: - Journal

    /// The journal of this attack: keyed by its settings, the defense, the batch layout, the
    /// samples' pixels and the defense's output on the first batch (BatchJournal).
    static func makeJournal(record: ImageRecord, ranges: [Range<Int>], attack: Attack, threat: ThreatModel, defense: Defense,
                            rule: EvaluationRule, targetRule: TargetRule?, settings: SessionSettings,
                            context: StageContext) throws -> BatchJournal {
        var digest = BatchJournal.Digest()
        for text in ["attack", Driver.version, attack.settingsDescription, "\(threat)", defense.description, "\(rule)",
                     targetRule.map { "target \($0)" } ?? "untargeted",
                     "batch \(settings.batchSize)", "seed \(settings.seed)", record.sampleKeys.map(String.init).joined(separator: ",")] {
            digest.add(text)
        }
        digest.add(record.current)
        let first = try ImageRecord.rows(record.current, ranges[0])
        digest.add(try withoutGradients {
            try defense.logits(first, sampleIDs: Array(record.sampleKeys[ranges[0]]), call: DefenseCallIndex.make(.analysis))
        })
        let folder = LoadStage.resolve(settings.outputFolder, base: context.baseDirectory)
        return BatchJournal(outputFolder: folder, key: "attack-\(attack.name)-\(digest.hex)", batchCount: ranges.count)
    }

    static func writeBatch(_ index: Int, to journal: BatchJournal, piece: RobustnessResult, adversarial: Tensor, purified: Tensor?) throws {
        var object: [String: Any] = [
            "rows": piece.rows.map { row -> [String: Any] in
                ["id": String(row.sampleID), "label": row.label, "clean_prediction": row.cleanPrediction,
                 "adversarial_prediction": row.adversarialPrediction, "clean_correct": row.cleanCorrect,
                 "robust_correct": row.robustCorrect, "linf": Int(row.linfDistance.bitPattern), "l2": Int(row.l2Distance.bitPattern),
                 "target": row.target.map { $0 as Any } ?? NSNull()]
            },
            "flags": piece.flags.map { ["kind": $0.kind.rawValue, "message": $0.message, "sample_ids": $0.sampleIDs.map(String.init)] },
            "adversarial": BatchJournal.encode(adversarial),
        ]
        if let purified { object["purified"] = BatchJournal.encode(purified) }
        try journal.write(batch: index, object)
    }

    static func readBatch(_ index: Int, from journal: BatchJournal, attack: Attack, threat: ThreatModel, defense: Defense,
                          rule: EvaluationRule, targetRule: TargetRule?) throws -> (RobustnessResult, Tensor, Tensor?) {
        let object = try journal.read(batch: index)
        let malformed = RuntimeError("the journal entry for batch \(index + 1) in \(journal.folder) is malformed; delete the folder to recompute the attack from the start")
        guard let rowObjects = object["rows"] as? [[String: Any]], let flagObjects = object["flags"] as? [[String: Any]] else { throw malformed }
        let rows = try rowObjects.map { row -> SampleRow in
            guard let id = (row["id"] as? String).flatMap({ UInt64($0) }), let label = row["label"] as? Int,
                  let clean = row["clean_prediction"] as? Int, let adversarial = row["adversarial_prediction"] as? Int,
                  let cleanCorrect = row["clean_correct"] as? Bool, let robustCorrect = row["robust_correct"] as? Bool,
                  let linf = row["linf"] as? Int, let l2 = row["l2"] as? Int else { throw malformed }
            var sample = SampleRow(sampleID: id, label: label, cleanPrediction: clean, adversarialPrediction: adversarial,
                                   cleanCorrect: cleanCorrect, robustCorrect: robustCorrect,
                                   linfDistance: Float(bitPattern: UInt32(truncatingIfNeeded: linf)), l2Distance: Float(bitPattern: UInt32(truncatingIfNeeded: l2)))
            sample.target = row["target"] as? Int
            return sample
        }
        let flags = try flagObjects.map { flag -> SanityFlag in
            guard let kind = (flag["kind"] as? String).flatMap(SanityFlag.Kind.init(rawValue:)), let message = flag["message"] as? String,
                  let ids = flag["sample_ids"] as? [String] else { throw malformed }
            return SanityFlag(kind: kind, message: message, sampleIDs: ids.compactMap { UInt64($0) })
        }
        var piece = RobustnessResult(attack: attack.settingsDescription, attackSettings: attack.settings, threatModel: threat,
                                     defense: defense.description, rule: rule, rows: rows, flags: flags)
        piece.targetRule = targetRule
        return (piece, try journal.decode(object["adversarial"]), try object["purified"].map { try journal.decode($0) })
    }

    /// The target rule of `target=N|random|least-likely`, or `nil` for an untargeted attack.
    /// - Throws: `RuntimeError` for a negative class (the range is checked against the defense).
    static func makeTargetRule(_ args: ArgumentReader) throws -> TargetRule? {
        guard let value = args.value("target") else { return nil }
        if let n = value.integerValue {
            guard n >= 0 else {
                throw RuntimeError("`attack target=\(n)` is not a class; classes are numbered from 0, so give target=0 or higher, random or least-likely")
            }
            return .class(n)
        }
        return value.textValue == "least-likely" ? .leastLikely : .random
    }

    /// The attack object the arguments describe.
    static func makeAttack(_ args: ArgumentReader, seed: UInt64) throws -> Attack {
        let method = try args.text("method")
        let budget = try AttackBudget(norm: try args.text("norm") == "l2" ? .l2 : .linf, epsilon: Float(try args.number("eps")))
        let eot = try args.integer("eot")
        let restarts = try args.integer("restarts")
        let lossName = args.optionalText("loss")
        let loss = lossName.flatMap(AttackLoss.init(rawValue:))
        let keep = IterateRule(rawValue: try args.text("keep")) ?? .best
        if keep == .last && method != "pgd" {
            throw RuntimeError("`attack \(method)` keeps its best point; keep=last is for pgd only")
        }
        switch method {
        case "fgsm":
            return try FGSM(budget: budget, eot: eot, loss: loss ?? .crossEntropy)
        case "apgd":
            return try APGD(budget: budget, steps: try args.optionalInteger("steps") ?? 100, restarts: restarts,
                            loss: loss ?? .crossEntropy, eot: eot, seed: seed)
        case "square":
            return try SquareAttack(budget: budget, queries: try args.integer("queries"), restarts: restarts,
                                    eot: eot, loss: loss ?? .margin, seed: seed)
        default:
            let steps = try args.optionalInteger("steps") ?? 10
            let step = args.optionalNumber("step").map(Float.init) ?? 2.5 * budget.epsilon / Float(max(1, steps))
            return try PGD(budget: budget, steps: steps, stepSize: step, randomStart: try args.bool("random_start"),
                           restarts: restarts, eot: eot, loss: loss ?? .crossEntropy, seed: seed, keep: keep)
        }
    }
}
