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
            Parameter("eps", .number, default: .number(8.0 / 255.0), minimum: 0, maximum: 1, doc: "Perturbation budget in the chosen norm, on [0, 1] pixels."),
            Parameter("norm", .choice(["linf", "l2"]), default: .name("linf"), doc: "Budget norm."),
            Parameter("steps", .integer, minimum: 0, doc: "Iterations (default: pgd 10, apgd 100)."),
            Parameter("step", .number, minimum: 0, doc: "pgd step size (default 2.5·eps/steps)."),
            Parameter("restarts", .integer, default: .number(1), minimum: 1, doc: "Random restarts (pgd, apgd, square); the best adversarial per sample is kept."),
            Parameter("random_start", .bool, default: .bool(true), doc: "pgd: start from a random point in the budget."),
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
            var adversarialPieces: [Tensor] = [], purifiedPieces: [Tensor] = []
            let keys = record.sampleKeys
            let progress = ProgressReporter("attack \(attack.name)", total: record.count, unit: "img")
            defer { progress.close() }
            for range in record.batchRanges(size: settings.batchSize) {
                try context.checkCancellation()
                let batch = try AttackBatch(images: ImageRecord.rows(record.current, range),
                                            labels: Array(record.labels[range]), sampleIDs: Array(keys[range]))
                var targets: [Int?]?
                let adversarial: Tensor, flags: [SanityFlag]
                if let targetRule {
                    // Targets come from the full defense (least-likely), whatever `against` says.
                    let chosen = try targetRule.targets(for: batch, classes: setup.classifier.classCount,
                                                        seed: settings.seed, defense: defense)
                    (adversarial, flags) = try runTargetedAttack(attack, on: batch, targets: chosen, against: attacked)
                    targets = chosen
                } else {
                    let run = try runAttack(attack, on: batch, against: attacked)
                    (adversarial, flags) = (run.outcome.adversarial, run.flags)
                }
                let piece = try withoutGradients {
                    try evaluateRobustness(batch: batch, adversarial: adversarial, defense: defense,
                                           rule: setup.rule, attack: attack, threatModel: threat, flags: flags,
                                           targetRule: targetRule, targets: targets)
                }
                result = try result.map { try $0.merged(with: piece) } ?? piece
                adversarialPieces.append(adversarial)
                if !transforms.isEmpty {
                    purifiedPieces.append(try withoutGradients {
                        try transforms.apply(adversarial, sampleIDs: batch.sampleIDs,
                                             call: DefenseCallIndex.make(.adversarialEvaluation))
                    })
                }
                progress.update(range.upperBound)
            }
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
            if let result { output.evaluation = .robustness(result) }
            return try BoundStage.runChain(Array(downstream[(classifyIndex + 1)...]), input: .runtime(output), context: context)
        }
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
        switch method {
        case "fgsm":
            return try FGSM(budget: budget, eot: eot, loss: loss ?? .crossEntropy)
        case "apgd":
            return try APGD(budget: budget, steps: args.optionalInteger("steps") ?? 100, restarts: restarts,
                            loss: loss ?? .crossEntropy, eot: eot, seed: seed)
        case "square":
            return try SquareAttack(budget: budget, queries: try args.integer("queries"), restarts: restarts,
                                    eot: eot, loss: loss ?? .margin, seed: seed)
        default:
            let steps = args.optionalInteger("steps") ?? 10
            let step = args.optionalNumber("step").map(Float.init) ?? 2.5 * budget.epsilon / Float(max(1, steps))
            return try PGD(budget: budget, steps: steps, stepSize: step, randomStart: try args.bool("random_start"),
                           restarts: restarts, eot: eot, loss: loss ?? .crossEntropy, seed: seed)
        }
    }
}
