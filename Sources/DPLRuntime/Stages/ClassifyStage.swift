import Foundation
import DPLAttacks
import DPLLang
import DPLNN
import DPLTensor

/// `classify model=… eval=single|vote:K|worst:K outputs=none|logits|probabilities` — runs the
/// defense (every pending transform, then the classifier) on the record's images and records
/// the verdicts, with each sample's logits or probabilities when asked (ClassifyStage+Check.swift
/// has what `dpl check` knows about a call).
enum ClassifyStage {
    static let signature = StageSignature(
        name: "classify", doc: "Classifies the images through every transform before it (the defense) and records accuracy.",
        input: .kinds([RuntimeKinds.dataset, RuntimeKinds.batch]), output: RuntimeKinds.results,
        parameters: [
            Parameter("model", .any, doc: "The classifier: a model value or a .safetensors file (default: the `classifier` setting, else the shipped fmnist-cnn-small)."),
            Parameter("eval", .string, default: .string("single"), doc: "Verdict rule for randomized defenses: \"single\" (one draw), \"vote:K\" (majority of K draws), \"worst:K\" (correct only if all K draws are)."),
            Parameter("outputs", .choice(["none"] + ModelOutputs.Kind.allCases.map(\.rawValue)), default: .name("none"),
                      doc: "What each sample's row carries besides the prediction: the classifier's logits or softmax probabilities, one per class, averaged over the rule's draws; after `attack`, the clean and the adversarial verdict's."),
        ], check: { check($0) })

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { input, arguments, _, context in
            let record = try ImageRecord.from(input, stage: "classify")
            let setup = try ClassifierSetup(arguments: arguments, context: context, state: state)
            try setup.requireInput(record.current)
            let settings = SessionSettings(context)
            // The first clean-evaluation draw is also the `purified` snapshot: compute it once
            // per batch and let the defense reuse it instead of purifying twice.
            let firstDraw = DefenseCallIndex.make(.cleanEvaluation)
            let reuse = ReusedDraw()
            let defense = setup.defense(transforms: record.pendingTransforms, reusing: reuse)
            let keys = record.sampleKeys
            var verdictsSoFar: [Verdict] = []
            var purified: [Tensor] = []
            let ranges = record.batchRanges(size: settings.batchSize)
            let progress = ProgressReporter("classify", total: record.count, unit: "img", quiet: record.count < 2 * settings.batchSize)
            defer { progress.close() }
            for range in ranges {
                try context.checkCancellation()
                let images = try ImageRecord.rows(record.current, range)
                let ids = Array(keys[range])
                let labels = Array(record.labels[range])
                try withoutGradients {
                    if !record.pendingTransforms.isEmpty {
                        let first = try record.pendingTransforms.apply(images, sampleIDs: ids, call: firstDraw)
                        purified.append(first)
                        reuse.store(call: firstDraw, input: images, output: first)
                    }
                    verdictsSoFar += try verdicts(of: defense, on: images, labels: labels, sampleIDs: ids,
                                                  rule: setup.rule, phase: .cleanEvaluation)
                }
                progress.update(range.upperBound)
            }
            if !purified.isEmpty {
                record.current = try Tensor.concat(purified, axis: 0)
                record.takeSnapshot("purified", record.current)
            }
            record.defenseTransforms = record.pendingTransforms
            record.defenseClassifier = setup
            record.pendingTransforms = []
            record.trail.append("classify \(setup.modelDescription) eval=\(setup.rule)")
            record.evaluation = .accuracy(AccuracyResult(defense: defense.description, rule: setup.rule, sampleIDs: keys,
                                                         labels: record.labels, verdicts: verdictsSoFar,
                                                         outputs: setup.outputs))
            return .runtime(record)
        }
    }
}

/// The classifier and evaluation rule a `classify` call names; `attack` builds the same from
/// the `classify` that ends its defense.
struct ClassifierSetup {
    let classifier: any ImageClassifier
    let modelDescription: String
    let rule: EvaluationRule
    /// Which model outputs each sample's row keeps (`outputs=`); nil: none.
    let outputs: ModelOutputs.Kind?

    init(arguments: [String: Value], context: StageContext, state: RuntimeState) throws {
        let args = ArgumentReader(stage: "classify", arguments: arguments)
        let model = try state.models.resolve(argument: args.value("model"), setting: context.settings["classifier"],
                                             defaultFile: ModelLibrary.defaultClassifierFile, role: "classifier",
                                             baseDirectory: context.baseDirectory)
        guard let classifier = model.classifier else {
            throw RuntimeError("\(model.description) is a \(model.architecture.familyName) model, not a classifier; give classify a classifier")
        }
        self.classifier = classifier
        self.modelDescription = model.path.map { ($0 as NSString).lastPathComponent } ?? model.architecture.familyName
        self.rule = SmokeMode.limit(try parseEvaluationRule(try args.text("eval")), in: context)
        // Optional: `measure` builds its setup from a model and `eval` alone.
        self.outputs = args.optionalText("outputs").flatMap(ModelOutputs.Kind.init(rawValue:))
        isShippedDefault = args.value("model") == nil && context.settings["classifier"] == nil
        architecture = model.architecture
    }

    /// Whether no classifier was named, so the shipped Fashion-MNIST model is used.
    let isShippedDefault: Bool
    /// The classifier's architecture.
    let architecture: Architecture

    /// Refuses images the shipped default classifier cannot take, saying which model that is
    /// and how to name another: its own shape error does not say that the model was chosen
    /// for the user (a CIFAR-shaped input through it reported only "expects [N, 1, 28, 28]").
    func requireInput(_ images: Tensor) throws {
        guard isShippedDefault, images.rank == 4, case .cnn(let c) = architecture,
              images.shape[1] != c.inputChannels || images.shape[2] != c.imageSize || images.shape[3] != c.imageSize else { return }
        throw RuntimeError("these images are \(images.shape[1])×\(images.shape[2])×\(images.shape[3]), but with no model= `classify` uses the shipped Fashion-MNIST classifier \(modelDescription), which takes \(c.inputChannels)×\(c.imageSize)×\(c.imageSize) images; give a classifier for these images with classify model=\"file\" (or set classifier = \"file\")")
    }

    /// The defense: the transforms, then the classifier. With `reusing`, a transform output
    /// already computed for the same input and call is taken instead of recomputed.
    func defense(transforms: [DefenseTransform], reusing reuse: ReusedDraw? = nil) -> Defense {
        let description = (transforms.map(\.description) + ["classify \(modelDescription)"]).joined(separator: " | ")
        return .composed(transforms, classifier: classifier, description: description, reusing: reuse)
    }
}
