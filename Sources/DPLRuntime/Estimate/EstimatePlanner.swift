import Foundation
import DPLAttacks
import DPLDiffusion
import DPLLang
import DPLNN
import DPLTensor

// MARK: - Counting a script's work without running it

/// Runs a script through the interpreter with stages that count instead of compute: `load`,
/// `model` and `purify` run as they do in a real run (they only read files and set up lazy
/// transforms), so the planner sees the same data sizes, models and purifiers; `classify`,
/// `attack`, `measure`, `train` and `save` count the model passes they would run, batch by
/// batch, following the engine's loops (`PGD.perturb`, `LossOracle`, `verdicts(of:…)`,
/// `Purifier.cost`); the stages that only report or write do nothing.
///
/// Because the interpreter itself runs, `for` loops, `def`s, imports, settings and the
/// default source are planned exactly as they would run.
final class EstimatePlanner {
    /// The counted stage calls, in the order they would run.
    private(set) var stages: [StageWork] = []
    /// What the script does that the counts leave out, in the words the report prints.
    private(set) var unpredicted: [String] = []
    /// The batch size, as last set in the script.
    private(set) var batchSize = 64

    private let state: RuntimeState
    private let real: StageRegistry
    private var names: [ObjectIdentifier: String] = [:]
    private var flops: [EstimatedModel.Key: Double] = [:]
    /// The model objects counted, so calibration can time them.
    private(set) var modules: [ObjectIdentifier: AnyObject] = [:]

    /// A planner whose `load`, `model` and `purify` are the built-in ones over `state`.
    init(state: RuntimeState) throws {
        self.state = state
        real = try BuiltinStages.makeRegistry(state: state)
    }

    /// The registry the planning session runs: the built-in signatures, with counting bodies.
    func makeRegistry() throws -> StageRegistry {
        var registry = StageRegistry()
        for signature in real.signatures {
            guard let realBody = real.entry(named: signature.name)?.body else { continue }
            try registry.register(signature) { [unowned self] input, arguments, downstream, context in
                batchSize = SessionSettings(context).batchSize
                return try plan(signature, input: input, arguments: arguments, downstream: downstream,
                                context: context, realBody: realBody)
            }
        }
        // The same default source, without the prediction its announcement makes (the
        // planner is what makes it).
        if let source = real.defaultSource {
            registry.defaultSource = StageRegistry.DefaultSource(stage: source.stage, arguments: source.arguments,
                                                                 description: source.description)
        }
        registry.writePolicy = real.writePolicy
        return registry
    }

    /// Drops what was counted so far (the REPL's earlier lines, replayed only for their
    /// variables and settings).
    func forgetCounts() {
        stages = []
        unpredicted = []
    }

    // MARK: Stages

    private func plan(_ signature: StageSignature, input: Value?, arguments: [String: Value], downstream: [BoundStage],
                      context: StageContext, realBody: StageBody) throws -> Value {
        let name = signature.name
        let arguments = SmokeMode.isOn(context) ? try SmokeMode.shrink(arguments, of: signature, context: context, state: state) : arguments
        switch name {
        case "load", "model":
            return try realBody(input, arguments, downstream, context)
        case "purify":
            // Name the noise model before the real body builds the purifier around it.
            let model = try state.models.resolve(argument: arguments["model"], setting: context.settings["diffusion"],
                                                 defaultFile: ModelLibrary.defaultDiffusionFile, role: "diffusion model",
                                                 baseDirectory: context.baseDirectory)
            rememberName(of: model)
            return try realBody(input, arguments, downstream, context)
        case "classify":
            return try planClassify(input, arguments, context)
        case "attack":
            return try planAttack(input, arguments, downstream, context)
        case "measure":
            return try planMeasure(input, arguments, context)
        case "train":
            return try planTrain(input, arguments, context)
        case "save":
            if let record = input?.runtimeValue(as: ImageRecord.self), !record.pendingTransforms.isEmpty {
                try planMaterialize(record, stage: "save", context: context)
            }
            return input ?? .none
        case "report", "results", "compare":
            return .runtime(ResultTable(rows: []))
        case "plot":
            return .none
        default:
            note("stage `\(name)`: dpl estimate does not know what it runs, so it counts nothing for it")
            return input ?? .none
        }
    }

    /// `classify`: per batch, the first clean draw's purification (kept as the `purified`
    /// snapshot and reused by draw 0), then each draw of the rule through the defense.
    private func planClassify(_ input: Value?, _ arguments: [String: Value], _ context: StageContext) throws -> Value {
        let record = try ImageRecord.from(input, stage: "classify")
        let setup = try ClassifierSetup(arguments: arguments, context: context, state: state)
        let defense = try cost(of: record.pendingTransforms, classifier: setup, record: record)
        var work = newWork("classify", arguments: [:], record: record, context: context)
        let draws = defense.draws(setup.rule)
        for size in batchSizes(record.count) {
            if !record.pendingTransforms.isEmpty {
                work.add(size, of: defense.purification(batch: size, withGradient: false))
                // Draw 0 reuses that purification; only its classifier runs again.
                work.add(size, of: [(defense.classifier, ModelPasses(forward: 1))])
                work.add(size * (draws - 1), of: defense.call(batch: size, withGradient: false))
            } else {
                work.add(size * draws, of: defense.call(batch: size, withGradient: false))
            }
        }
        stages.append(work)
        record.defenseTransforms = record.pendingTransforms
        record.defenseClassifier = setup
        record.pendingTransforms = []
        return .runtime(PlannedResults(record))
    }

    /// `attack … | defense | classify`: per batch, the attack's defense calls (with the input
    /// gradient where the method asks for one), the clean and adversarial verdicts, and the
    /// purification of the adversarial images kept as the `purified` snapshot.
    private func planAttack(_ input: Value?, _ arguments: [String: Value], _ downstream: [BoundStage],
                            _ context: StageContext) throws -> Value {
        let record = try ImageRecord.from(input, stage: "attack")
        guard let classifyIndex = downstream.firstIndex(where: { $0.name == "classify" }) else {
            throw RuntimeError("`attack` attacks the defense that follows it and needs `classify` to end it: attack pgd | purify t=100 | classify")
        }
        if !record.pendingTransforms.isEmpty { try planMaterialize(record, stage: "attack", context: context) }
        let probe = ImageRecord(copying: record)
        let probed = try BoundStage.runChain(Array(downstream[..<classifyIndex]), input: .runtime(probe), context: context)
        guard let defended = probed.runtimeValue(as: ImageRecord.self) else {
            throw RuntimeError("only image stages such as `purify` may stand between `attack` and `classify`")
        }
        let transforms = defended.pendingTransforms
        let setup = try ClassifierSetup(arguments: downstream[classifyIndex].arguments, context: context, state: state)
        let defense = try cost(of: transforms, classifier: setup, record: record)
        let args = ArgumentReader(stage: "attack", arguments: arguments)
        let attack = try AttackStage.makeAttack(args, seed: SessionSettings(context).seed)
        let transfer = try args.text("against") == "classifier"
        let attacked = transfer ? DefenseCost(purifiers: [], classifier: defense.classifier, isRandomized: false) : defense
        var work = newWork("attack", arguments: arguments, record: record, context: context)
        guard let search = AttackSearch(attack) else {
            throw RuntimeError("dpl estimate cannot count the defense calls of `attack \(attack.name)`; estimate without it")
        }
        work.upperBound = search.isUpperBound
        let draws = defense.draws(setup.rule)
        for size in batchSizes(record.count) {
            if args.optionalText("target") == "least-likely" {
                work.add(size, of: defense.call(batch: size, withGradient: false))
            }
            work.add(size * search.gradientCalls, of: attacked.call(batch: size, withGradient: true))
            work.add(size * search.forwardCalls, of: attacked.call(batch: size, withGradient: false))
            // Clean and adversarial verdicts, then the adversarial images purified once more.
            work.add(2 * size * draws, of: defense.call(batch: size, withGradient: false))
            work.add(size, of: defense.purification(batch: size, withGradient: false))
        }
        stages.append(work)
        let output = ImageRecord(copying: record)
        output.takeSnapshot("adversarial", output.current)
        output.pendingTransforms = []
        output.defenseTransforms = transforms
        output.defenseClassifier = setup
        return try BoundStage.runChain(Array(downstream[(classifyIndex + 1)...]), input: .runtime(PlannedResults(output)),
                                       context: context)
    }

    /// `measure distance|spread|compression`.
    private func planMeasure(_ input: Value?, _ arguments: [String: Value], _ context: StageContext) throws -> Value {
        let record = try input?.runtimeValue(as: PlannedResults.self)?.record ?? ImageRecord.from(input, stage: "measure")
        let args = ArgumentReader(stage: "measure", arguments: arguments)
        let pending = !record.pendingTransforms.isEmpty
        let transforms = pending ? record.pendingTransforms : record.defenseTransforms
        switch try args.text("what") {
        case "distance":
            if pending { try planMaterialize(record, stage: "measure", context: context) }
        case "spread":
            let setup = try MeasureStage.spreadClassifier(args, record, context, state)
            let defense = try cost(of: transforms, classifier: setup, record: record)
            let draws = try MeasureStage.spreadDraws(args)
            var work = newWork("measure", arguments: arguments, record: record, context: context)
            for size in batchSizes(record.count) { work.add(size * draws, of: defense.call(batch: size, withGradient: false)) }
            stages.append(work)
        case "compression":
            let defense = try cost(of: transforms, classifier: nil, record: record)
            // The clean anchor, its determinism check, the adversarial image if any, each pair.
            let purifications = 2 + (record.images(named: "adversarial") != nil ? 1 : 0) + (try MeasureStage.compressionPairs(args))
            var work = newWork("measure", arguments: arguments, record: record, context: context)
            for size in batchSizes(record.count) { work.add(size * purifications, of: defense.purification(batch: size, withGradient: false)) }
            stages.append(work)
        default:
            note("measure \(try args.text("what")): not counted")
        }
        return .runtime(ResultTable(rows: []))
    }

    /// `train`: every image of every epoch (classifier) or every image of every step
    /// (diffusion) runs forward and backward to the weights.
    private func planTrain(_ input: Value?, _ arguments: [String: Value], _ context: StageContext) throws -> Value {
        guard let data = input?.runtimeValue(as: DatasetValue.self)?.dataset else {
            throw RuntimeError("`train` needs a dataset piped in, e.g. `load fashion-mnist split=train | train classifier`")
        }
        let args = ArgumentReader(stage: "train", arguments: arguments)
        let role = try args.text("role")
        let archName = TrainStage.architectureName(args, role: role)
        guard var architecture = Architecture(named: archName) else {
            throw RuntimeError("`train arch=\(archName)` is not an architecture DPL knows; use one of \(Architecture.names.joined(separator: ", "))")
        }
        switch architecture {
        case .cnn(var configuration):
            configuration.inputChannels = data.imageShape[0]
            configuration.imageSize = data.imageShape[1]
            architecture = .cnn(configuration)
        case .unet(var configuration):
            configuration.imageChannels = data.imageShape[0]
            configuration.imageSize = data.imageShape[1]
            architecture = .unet(configuration)
        default:
            break
        }
        let module = try architecture.makeModel(key: RandomKey(seed: 0, purpose: "estimate"))
        let value = ModelValue(model: module, architecture: architecture, path: nil, metadata: [:])
        names[ObjectIdentifier(module as AnyObject)] = archName
        let model = try estimatedModel(module as AnyObject, name: archName, imageShape: data.imageShape)
        let images: Int, batch: Int
        if role == "classifier" {
            batch = try args.optionalInteger("batch") ?? 128
            images = data.count * (try args.integer("epochs"))
        } else {
            batch = try args.optionalInteger("batch") ?? 32
            images = batch * (try args.integer("steps"))
        }
        var work = StageWork(stage: "train \(role) \(archName)", location: location(of: "train", context),
                             images: images, batches: (images + batch - 1) / batch, passes: [])
        work.trainsWeights = true
        work.add(model, ModelPasses(forward: images, backward: images))
        stages.append(work)
        if args.value("validate") != nil { note("train validate=: the held-out evaluation after each epoch is not counted") }
        return .runtime(value)
    }

    /// Pending purification run once on every image (analysis phase), as stages that need
    /// pixels do (`ImageRecord.materialize`).
    private func planMaterialize(_ record: ImageRecord, stage: String, context: StageContext) throws {
        let defense = try cost(of: record.pendingTransforms, classifier: nil, record: record)
        var work = newWork("\(stage): purify", arguments: [:], record: record, context: context)
        for size in batchSizes(record.count) { work.add(size, of: defense.purification(batch: size, withGradient: false)) }
        stages.append(work)
        record.takeSnapshot("purified", record.current)
        record.pendingTransforms = []
    }

    // MARK: Pieces

    /// The defense of `transforms` and `classifier` as the counts need it.
    private func cost(of transforms: [DefenseTransform], classifier: ClassifierSetup?, record: ImageRecord) throws -> DefenseCost {
        let shape = Array(record.current.shape.dropFirst())
        var purifiers: [(Purifier, EstimatedModel)] = []
        for transform in transforms {
            guard let purifier = transform.purifier else {
                note("a defense step other than purify (\(transform.description)) is not counted")
                continue
            }
            let module = purifier.model as AnyObject
            purifiers.append((purifier, try estimatedModel(module, name: names[ObjectIdentifier(module)] ?? "diffusion model", imageShape: shape)))
        }
        let classifierModel: EstimatedModel
        if let classifier {
            classifierModel = try estimatedModel(classifier.classifier as AnyObject, name: classifier.modelDescription, imageShape: shape)
        } else {
            // Purification only: the classifier is never called, so it needs no count.
            classifierModel = EstimatedModel(name: "", flopsPerImage: 0, imageShape: shape, identity: ObjectIdentifier(self))
        }
        return DefenseCost(purifiers: purifiers, classifier: classifierModel, isRandomized: transforms.isRandomized)
    }

    /// The model `module` on images of `imageShape`, its FLOPs counted once.
    private func estimatedModel(_ module: AnyObject, name: String, imageShape: [Int]) throws -> EstimatedModel {
        let key = EstimatedModel.Key(identity: ObjectIdentifier(module), imageShape: imageShape)
        if let known = flops[key] {
            return EstimatedModel(name: name, flopsPerImage: known, imageShape: imageShape, identity: key.identity)
        }
        let counted: Double
        if let classifier = module as? any ImageClassifier {
            counted = try ModelFlops.forward(of: classifier, imageShape: imageShape)
        } else if let predictor = module as? any NoisePredictor {
            counted = try ModelFlops.forward(of: predictor, imageShape: imageShape)
        } else {
            throw RuntimeError("\(name) is neither a classifier nor a noise model, so dpl estimate cannot count its passes")
        }
        flops[key] = counted
        modules[key.identity] = module
        return EstimatedModel(name: name, flopsPerImage: counted, imageShape: imageShape, identity: key.identity)
    }

    /// Remembers how the report names `model`: its file name, or its architecture.
    private func rememberName(of model: ModelValue) {
        names[ObjectIdentifier(model.model as AnyObject)] = model.path.map { ($0 as NSString).lastPathComponent } ?? model.architecture.familyName
    }

    /// The sizes of the batches `count` images make.
    private func batchSizes(_ count: Int) -> [Int] {
        stride(from: 0, to: count, by: batchSize).map { min(batchSize, count - $0) }
    }

    private func newWork(_ stage: String, arguments: [String: Value], record: ImageRecord, context: StageContext) -> StageWork {
        var title = stage
        if stage == "attack" {
            // The settings that change the count, where they differ from the defaults.
            var shown = [arguments["method"]?.description ?? ""]
            if let steps = arguments["steps"] { shown.append("steps=\(steps)") }
            for key in ["restarts", "eot"] {
                if let value = arguments[key]?.integerValue, value > 1 { shown.append("\(key)=\(value)") }
            }
            if arguments["method"]?.textValue == "square", let queries = arguments["queries"] { shown.append("queries=\(queries)") }
            if arguments["against"]?.textValue == "classifier" { shown.append("against=classifier") }
            title = (["attack"] + shown).joined(separator: " ")
        } else if stage == "measure", let what = arguments["what"] {
            title = "measure \(what.description)"
        }
        let base = stage.split(separator: ":").first.map(String.init) ?? stage
        return StageWork(stage: title, location: location(of: base, context), images: record.count,
                         batches: (record.count + batchSize - 1) / batchSize, passes: [])
    }

    /// `file:line` of the latest call of `stage` the session logged (the interpreter logs every
    /// pipeline's stages before running them).
    private func location(of stage: String, _ context: StageContext) -> String? {
        guard let call = context.log.invocations.last(where: { $0.stage == stage }) else { return nil }
        return "\((call.file as NSString).lastPathComponent):\(call.line)"
    }

    private func note(_ text: String) {
        if !unpredicted.contains(text) { unpredicted.append(text) }
    }
}

extension EstimatedModel {
    /// A model object on one image shape: what a FLOP count belongs to.
    struct Key: Hashable {
        let identity: ObjectIdentifier
        let imageShape: [Int]
    }
}
