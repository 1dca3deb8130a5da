import Foundation
import DPLData
import DPLDiffusion
import DPLLang
import DPLNN
import DPLTensor

/// `train classifier arch=cnn-small epochs=5 lr=1e-3` — trains a model on the piped-in
/// dataset, with a progress bar, a checkpoint after every epoch, `resume=true` to continue
/// an interrupted run, and a held-out evaluation at the end (`validate=` a dataset).
enum TrainStage {
    static let signature = StageSignature(
        name: "train", doc: "Trains a classifier (cross-entropy, Adam) or a diffusion noise model (DDPM ε-loss, Adam, weight average) on the piped-in dataset; checkpoints as it goes and can resume.",
        input: .kinds([RuntimeKinds.dataset]), output: RuntimeKinds.model,
        parameters: [
            Parameter("role", .choice(["classifier", "diffusion"]), required: true, doc: "What to train."),
            Parameter("arch", .choice(Architecture.names), doc: "The architecture (default: cnn-small for a classifier, unet-tiny for diffusion)."),
            Parameter("epochs", .integer, default: .number(5), minimum: 1, doc: "classifier: passes over the data.", smoke: .atMost(SmokeMode.classifierEpochs)),
            Parameter("steps", .integer, default: .number(4000), minimum: 1, doc: "diffusion: optimizer steps.", smoke: .atMost(SmokeMode.diffusionSteps)),
            Parameter("lr", .number, minimum: 0, doc: "Adam's learning rate (default: 1e-3 classifier, 2e-4 diffusion)."),
            Parameter("weight_decay", .number, default: .number(0), minimum: 0, doc: "classifier: decoupled weight decay (AdamW) when > 0."),
            Parameter("batch", .integer, minimum: 1, doc: "Images per optimizer step (default: 128 classifier, 32 diffusion).",
                      smoke: .atMost(SmokeMode.trainingBatch, whenAbsent: true)),
            Parameter("max_t", .integer, default: .number(300), minimum: 1, maximum: 1000, doc: "diffusion: timesteps are drawn from 0..<max_t (purification uses the low-noise end)."),
            Parameter("ema", .number, default: .number(0.999), minimum: 0, maximum: 1, doc: "diffusion: decay of the saved weight average (0 saves the raw weights)."),
            Parameter("validate", .value(RuntimeKinds.dataset), doc: "A held-out dataset: accuracy after every epoch (classifier), denoising loss per noise level at the end (diffusion)."),
            Parameter("checkpoint", .string, doc: "Checkpoint file (default: <out>/train-<arch>.checkpoint.safetensors).", writesFile: true),
            Parameter("resume", .bool, default: .bool(false), doc: "Continue from the checkpoint instead of starting over.",
                      // A smoke run always trains, even after an earlier one left a finished checkpoint.
                      smoke: .always(.bool(false))),
        ], positional: ["role"])

    /// `arch=`, or the role's default: cnn-small for a classifier, unet-tiny for diffusion.
    static func architectureName(_ args: ArgumentReader, role: String) -> String {
        args.optionalText("arch") ?? (role == "classifier" ? "cnn-small" : "unet-tiny")
    }

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { input, arguments, _, context in
            guard let data = input?.runtimeValue(as: DatasetValue.self)?.dataset else {
                throw RuntimeError("`train` needs a dataset piped in, e.g. `load fashion-mnist split=train | train classifier`")
            }
            let args = ArgumentReader(stage: "train", arguments: arguments)
            let settings = SessionSettings(context)
            if let shard = try settings.shard() {
                throw RuntimeError("`train` cannot run in a sharded run (--shard \(shard)): sharding splits evaluation data across processes; train the model in an unsharded run, save it, and load it by path in the sharded script")
            }
            let role = try args.text("role")
            let archName = architectureName(args, role: role)
            let checkpoint = try args.optionalText("checkpoint").map { try state.writablePath($0, base: context.baseDirectory) }
                ?? state.writablePath((settings.outputFolder as NSString).appendingPathComponent("train-\(archName).checkpoint.safetensors"),
                                      base: context.baseDirectory)
            let validation = args.value("validate")?.runtimeValue(as: DatasetValue.self)?.dataset
            let resume = try args.bool("resume") && FileManager.default.fileExists(atPath: checkpoint)
            if role == "diffusion" {
                return try trainDiffusion(data: data, args: args, archName: archName, checkpoint: checkpoint, resume: resume,
                                          validation: validation, settings: settings, context: context)
            }
            guard let architecture = Architecture(named: archName), case .cnn(var configuration) = architecture else {
                switch Architecture(named: archName) {
                case .wrn?, .resnet?:
                    throw RuntimeError("`train classifier` trains cnn architectures only; train `\(archName)` elsewhere (e.g. PyTorch) and load it with model \"file.safetensors\" arch=\(archName)")
                default: break
                }
                throw RuntimeError("`train classifier` needs a classifier architecture such as cnn-small; `\(archName)` is a diffusion model")
            }
            configuration.inputChannels = data.imageShape[0]
            configuration.imageSize = data.imageShape[1]
            configuration.classes = max(configuration.classes, data.classNames.count)
            let trainingConfiguration = ClassifierTrainingConfiguration(
                epochs: try args.integer("epochs"), batchSize: try args.optionalInteger("batch") ?? 128,
                learningRate: args.optionalNumber("lr") ?? 1e-3, weightDecay: try args.number("weight_decay"), seed: settings.seed)
            let model = try CNNClassifier(configuration, key: RandomKey(seed: settings.seed, purpose: "init"))
            let trainer = try ClassifierTrainer(model: model, configuration: trainingConfiguration)
            var startEpoch = 0
            if resume {
                startEpoch = try trainer.resume(from: checkpoint)
                context.print("resuming from \(checkpoint) after epoch \(startEpoch)")
            }
            let started = Date()
            var metadata: [String: String] = [
                "dpl.role": "classifier", "dpl.training.dataset": "\(data.name) (\(data.count) samples)",
                "dpl.training.configuration": try trainingMetadataJSON(trainingConfiguration),
            ]
            var progress: ProgressReporter?
            defer { progress?.close() }
            try trainer.train(
                images: data.images, labels: data.labels, from: startEpoch,
                validation: validation.map { LabeledImages(images: $0.images, labels: $0.labels, name: $0.name) },
                checkpoint: checkpoint, metadata: &metadata,
                epochStarted: { epoch, steps in
                    let bar = ProgressReporter("epoch \(epoch + 1)/\(trainingConfiguration.epochs)", total: steps, unit: "step")
                    progress = bar
                    return { p in
                        try context.checkCancellation()
                        bar.update(p.step, detail: String(format: "loss %.4f", p.meanLoss))
                    }
                },
                epochFinished: { report in
                    progress?.close()
                    progress = nil
                    var line = String(format: "epoch %d: loss %.4f", report.epoch + 1, report.loss)
                    if let accuracy = report.heldOutAccuracy, let validation {
                        line += String(format: ", held-out accuracy %.2f%% on %@ (%d)", accuracy * 100, validation.name, validation.count)
                    }
                    context.print(line)
                })
            metadata["dpl.training.seconds_this_run"] = String(format: "%.0f", Date().timeIntervalSince(started))
            return .runtime(ModelValue(model: model, architecture: .cnn(configuration), path: nil, metadata: metadata))
        }
    }
}
