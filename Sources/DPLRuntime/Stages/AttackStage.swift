import Foundation
import DPLAttacks
import DPLDiffusion
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
            Parameter("steps", .integer, minimum: 0, doc: "Iterations (default: pgd 10, apgd 100).",
                      smoke: .atMost(SmokeMode.attackSteps, whenAbsent: true)),
            Parameter("step", .number, minimum: 0, doc: "pgd step size (default 2.5·eps/steps)."),
            Parameter("restarts", .integer, default: .number(1), minimum: 1, doc: "Random restarts (pgd, apgd, square); the best adversarial per sample is kept.",
                      smoke: .atMost(SmokeMode.attackRestarts)),
            Parameter("random_start", .bool, default: .bool(true), doc: "pgd: start from a random point in the budget."),
            Parameter("keep", .choice(IterateRule.allCases.map(\.rawValue)), default: .name("best"), doc: "pgd: which iterate is the adversarial input: best (the first misclassified during the search, else the highest loss) or last (where the search ended)."),
            Parameter("eot", .integer, default: .number(1), minimum: 1, doc: "Expectation over transformation: average each gradient (square: each score) over K draws of the defense's randomness.",
                      smoke: .atMost(SmokeMode.eotDraws)),
            Parameter("loss", .choice(["ce", "dlr", "margin"]), doc: "Loss maximized (default: ce; square: margin)."),
            Parameter("queries", .integer, default: .number(1000), minimum: 1, doc: "square: queries per restart.", smoke: .atMost(SmokeMode.squareQueries)),
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
            try setup.requireInput(record.current)
            let defense = setup.defense(transforms: transforms)
            let args = ArgumentReader(stage: "attack", arguments: arguments)
            let attack = try makeAttack(args, seed: settings.seed)
            let evaluation = try RobustnessEvaluation(
                attack: attack, defense: defense, rule: setup.rule,
                transferFrom: try args.text("against") == "classifier" ? setup.defense(transforms: []) : nil,
                targetRule: try makeTargetRule(args), classes: setup.classifier.classCount,
                seed: settings.seed, batchSize: settings.batchSize,
                outputs: setup.outputs)
            let journal = try makeJournal(evaluation, record: record, settings: settings, context: context, state: state)
            let resumed = journal?.finishedBatches ?? 0
            let ranges = evaluation.batchRanges(count: record.count)
            if resumed > 0 { context.print("resuming attack \(attack.name) from batch \(resumed + 1)/\(ranges.count)") }
            let progress = ProgressReporter("attack \(attack.name)", total: record.count, unit: "img",
                                            alreadyDone: resumed > 0 ? ranges[resumed - 1].upperBound : 0)
            defer { progress.close() }
            if progress.drawsBar, resumed < ranges.count {
                progress.predictedSeconds = ScriptEstimator.predictAttackSeconds(input: .runtime(record), arguments: arguments, downstream: downstream, context: context)
            }
            // Inside a batch: where the attack is (step, loss, fooled) and the defense calls made,
            // which move even within one step through a long purification.
            var lastStep: AttackStep?
            var purifyStep: (step: Int, steps: Int)?
            var callsInBatch = (batch: -1, calls: 0)
            let showBatch = { (batch: Int, calls: Int) in
                let range = ranges[batch]
                let purifying = purifyStep.map { ", purify step \($0.step + 1)/\($0.steps)" } ?? ""
                progress.update(range.lowerBound, partial: (lastStep?.completed ?? 0) * Double(range.count),
                                detail: "batch \(batch + 1)/\(ranges.count): " + (lastStep.map(Self.describe) ?? "")
                                    + "\(calls) defense call\(calls == 1 ? "" : "s")" + purifying, moving: true)
            }
            // One defense call through a long purification takes minutes: its reverse steps move the line.
            let outcome = try PurificationActivity.observing({ step, steps in
                purifyStep = (step, steps)
                if callsInBatch.batch >= 0 { showBatch(callsInBatch.batch, callsInBatch.calls) }
            }) { try evaluation.run(
                images: record.current, labels: record.labels, sampleIDs: record.sampleKeys, journal: journal,
                progress: { progress.update($0) }, batchFinished: { state.journaledBatch?($0) },
                activity: { batch, calls in
                    if callsInBatch.batch != batch { lastStep = nil }
                    callsInBatch = (batch, calls)
                    showBatch(batch, calls)
                },
                step: { batch, step in
                    lastStep = step
                    showBatch(batch, callsInBatch.batch == batch ? callsInBatch.calls : 0)
                },
                journalFailed: { journal, error in
                    context.print("note: cannot write the journal \(journal.folder) (\(error)); this attack will not be resumable")
                },
                // Polled before every defense call: Ctrl-C stops the attack within one iteration.
                checkCancellation: { [context] in try context.checkCancellation() }) }
            let output = ImageRecord(copying: record)
            output.current = outcome.adversarial
            output.takeSnapshot("adversarial", output.current)
            if let purified = outcome.purified { output.takeSnapshot("purified", purified) }
            output.pendingTransforms = []
            output.defenseTransforms = transforms
            output.defenseClassifier = setup
            let targetText = evaluation.targetRule.map { " \($0)" } ?? ""
            output.trail += ["attack \(attack.settingsDescription)\(targetText) (\(evaluation.threatModel))"] + transforms.map(\.description)
                + ["classify \(setup.modelDescription) eval=\(setup.rule)"]
            output.evaluation = .robustness(outcome.result)
            return try BoundStage.runChain(Array(downstream[(classifyIndex + 1)...]), input: .runtime(output), context: context)
        }
    }

    /// `restart 1/2 step 7/11, loss 1.42, fooled 5/64, ` (the restart only when there are several).
    static func describe(_ step: AttackStep) -> String {
        let restart = step.restarts > 1 ? "restart \(step.restart + 1)/\(step.restarts) " : ""
        return restart + "step \(step.iteration + 1)/\(step.iterations), loss \(String(format: "%.3g", step.meanLoss)), "
            + "fooled \(step.fooled)/\(step.samples), "
    }

    // MARK: - Journal

    /// The journal of an evaluation of more than one batch, in `<out>/.dpl-journal/<key>`
    /// (`RobustnessEvaluation.journalKey`); `nil` for a single batch, which has nothing to resume.
    static func makeJournal(_ evaluation: RobustnessEvaluation, record: ImageRecord, settings: SessionSettings,
                            context: StageContext, state: RuntimeState) throws -> EvaluationJournal? {
        let batches = evaluation.batchRanges(count: record.count).count
        guard batches > 1 else { return nil }
        let key = try evaluation.journalKey(images: record.current, sampleIDs: record.sampleKeys, version: DPLVersion.current)
        // Under the output folder as every write is: a `dpl verify` rerun journals in its own
        // folder, so it never resumes from (or trusts) a journal shipped with an artifact.
        let output = try state.writablePath(settings.outputFolder, base: context.baseDirectory)
        let journals = (output as NSString).appendingPathComponent(".dpl-journal")
        // Leave no empty `.dpl-journal`, nor an output folder only the journal needed.
        let outputExisted = FileManager.default.fileExists(atPath: output)
        return EvaluationJournal(folder: (journals as NSString).appendingPathComponent(key), batchCount: batches,
                                 emptyParents: [journals] + (outputExisted ? [] : [output]))
    }
}
