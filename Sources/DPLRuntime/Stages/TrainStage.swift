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
            Parameter("epochs", .integer, default: .number(5), minimum: 1, doc: "classifier: passes over the data."),
            Parameter("steps", .integer, default: .number(4000), minimum: 1, doc: "diffusion: optimizer steps."),
            Parameter("lr", .number, minimum: 0, doc: "Adam's learning rate (default: 1e-3 classifier, 2e-4 diffusion)."),
            Parameter("weight_decay", .number, default: .number(0), minimum: 0, doc: "classifier: decoupled weight decay (AdamW) when > 0."),
            Parameter("batch", .integer, minimum: 1, doc: "Images per optimizer step (default: 128 classifier, 32 diffusion)."),
            Parameter("max_t", .integer, default: .number(300), minimum: 1, maximum: 1000, doc: "diffusion: timesteps are drawn from 0..<max_t (purification uses the low-noise end)."),
            Parameter("ema", .number, default: .number(0.999), minimum: 0, maximum: 1, doc: "diffusion: decay of the saved weight average (0 saves the raw weights)."),
            Parameter("validate", .value(RuntimeKinds.dataset), doc: "A held-out dataset: accuracy after every epoch (classifier), denoising loss per noise level at the end (diffusion)."),
            Parameter("checkpoint", .string, doc: "Checkpoint file (default: <out>/train-<arch>.checkpoint.safetensors)."),
            Parameter("resume", .bool, default: .bool(false), doc: "Continue from the checkpoint instead of starting over."),
        ], positional: ["role"])

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
            let archName = args.optionalText("arch") ?? (role == "classifier" ? "cnn-small" : "unet-tiny")
            let checkpoint = args.optionalText("checkpoint").map { state.outputPath($0, base: context.baseDirectory) }
                ?? (state.outputPath(settings.outputFolder, base: context.baseDirectory) as NSString)
                    .appendingPathComponent("train-\(archName).checkpoint.safetensors")
            let validation = args.value("validate")?.runtimeValue(as: DatasetValue.self)?.dataset
            let resume = try args.bool("resume") && FileManager.default.fileExists(atPath: checkpoint)
            if role == "diffusion" {
                return try trainDiffusion(data: data, args: args, archName: archName, checkpoint: checkpoint, resume: resume,
                                          validation: validation, settings: settings, context: context)
            }
            guard let architecture = Architecture(named: archName), case .cnn(var configuration) = architecture else {
                if case .wrn = Architecture(named: archName) {
                    throw RuntimeError("`train classifier` trains cnn architectures only; train `\(archName)` elsewhere (e.g. PyTorch) and load it with model \"file.safetensors\" arch=\(archName)")
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
                startEpoch = try restore(trainer: trainer, from: checkpoint)
                context.print("resuming from \(checkpoint) after epoch \(startEpoch)")
            }
            let started = Date()
            var metadata: [String: String] = [
                "dpl.role": "classifier", "dpl.training.dataset": "\(data.name) (\(data.count) samples)",
                "dpl.training.configuration": encodeJSON(trainingConfiguration),
            ]
            for epoch in startEpoch..<trainingConfiguration.epochs {
                let steps = (data.count + trainingConfiguration.batchSize - 1) / trainingConfiguration.batchSize
                let progress = ProgressReporter("epoch \(epoch + 1)/\(trainingConfiguration.epochs)", total: steps, unit: "step")
                defer { progress.close() }
                let loss = try trainer.trainEpoch(epoch, images: data.images, labels: data.labels) { p in
                    try context.checkCancellation()
                    progress.update(p.step, detail: String(format: "loss %.4f", p.meanLoss))
                }
                var line = String(format: "epoch %d: loss %.4f", epoch + 1, loss)
                if let validation {
                    let accuracy = try classificationAccuracy(model, images: validation.images, labels: validation.labels)
                    line += String(format: ", held-out accuracy %.2f%% on %@ (%d)", accuracy * 100, validation.name, validation.count)
                    metadata["dpl.training.heldout_accuracy"] = String(format: "%.4f", accuracy)
                }
                metadata["dpl.training.final_loss"] = String(format: "%.5f", loss)
                metadata["dpl.training.epochs_done"] = "\(epoch + 1)"
                context.print(line)
                try ModelFile.write(model, metadata: metadata,
                                    extra: prefixed(trainer.optimizer.stateTensors(names: model.namedParameters())), to: checkpoint)
            }
            metadata["dpl.training.seconds_this_run"] = String(format: "%.0f", Date().timeIntervalSince(started))
            return .runtime(ModelValue(model: model, architecture: .cnn(configuration), path: nil, metadata: metadata))
        }
    }

    /// Trains a U-Net noise model; checkpoints (weights, average and optimizer state) every
    /// 200 steps and at the end.
    static func trainDiffusion(data: Dataset, args: ArgumentReader, archName: String, checkpoint: String, resume: Bool,
                               validation: Dataset?, settings: SessionSettings, context: StageContext) throws -> Value {
        guard let architecture = Architecture(named: archName), case .unet(var configuration) = architecture else {
            switch Architecture(named: archName) {
            case .ncsnpp, .adm:
                throw RuntimeError("`train diffusion` trains unet architectures only; `\(archName)` is for weights trained elsewhere (DiffPure's checkpoints, docs/models.md): load it with model \"file.safetensors\" arch=\(archName)")
            default: break
            }
            throw RuntimeError("`train diffusion` needs a U-Net architecture such as unet-tiny; `\(archName)` is a classifier")
        }
        configuration.imageChannels = data.imageShape[0]
        configuration.imageSize = data.imageShape[1]
        let trainingConfiguration = DiffusionTrainingConfiguration(
            steps: try args.integer("steps"), batchSize: try args.optionalInteger("batch") ?? 32,
            learningRate: args.optionalNumber("lr") ?? 2e-4, maxTimestep: try args.integer("max_t"),
            emaDecay: try args.number("ema"), seed: settings.seed)
        let model = try UNet(configuration, key: RandomKey(seed: settings.seed, purpose: "init"))
        let trainer = try DiffusionTrainer(model: model, configuration: trainingConfiguration)
        var metadata: [String: String] = [
            "dpl.role": "diffusion", "dpl.training.dataset": "\(data.name) (\(data.count) samples)",
            "dpl.training.configuration": encodeJSON(trainingConfiguration),
            "dpl.diffusion.schedule": "linear beta 1e-4..0.02, T=1000, epsilon prediction",
            "dpl.diffusion.trained_timesteps": "0..<\(trainingConfiguration.maxTimestep)",
        ]
        var start = 0
        if resume {
            let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: checkpoint))
            let all = try file.tensors()
            try model.loadStateDict(all.filter { !$0.name.hasPrefix("optimizer.") && !$0.name.hasPrefix("average.") })
            try trainer.optimizer.loadStateTensors(all.filter { $0.name.hasPrefix("optimizer.") }
                .map { (String($0.name.dropFirst("optimizer.".count)), $0.tensor) }, names: model.namedParameters())
            let averages = Dictionary(all.filter { $0.name.hasPrefix("average.") }.map { (String($0.name.dropFirst("average.".count)), $0.tensor) },
                                      uniquingKeysWith: { a, _ in a })
            try trainer.restoreAverage(model.namedParameters().compactMap { averages[$0.name] })
            guard let done = file.metadata["dpl.training.steps_done"].flatMap(Int.init) else {
                throw RuntimeError("checkpoint \(checkpoint) does not record how many steps were done; delete it or pass resume=false")
            }
            start = done
            context.print("resuming from \(checkpoint) after step \(start)")
        }
        func saveCheckpoint(stepsDone: Int) throws {
            metadata["dpl.training.steps_done"] = "\(stepsDone)"
            try ModelFile.write(model, metadata: metadata,
                                extra: prefixed(trainer.optimizer.stateTensors(names: model.namedParameters()))
                                    + trainer.averagedStateDict().map { ("average." + $0.name, $0.tensor) },
                                to: checkpoint)
        }
        let progress = ProgressReporter("train diffusion", total: trainingConfiguration.steps, unit: "step", alreadyDone: start)
        defer { progress.close() }
        var recent: [Double] = []
        let started = Date()
        for step in start..<trainingConfiguration.steps {
            try context.checkCancellation()
            let loss = try trainer.trainStep(step, images: data.images)
            recent.append(loss)
            if recent.count > 100 { recent.removeFirst() }
            let mean = recent.reduce(0, +) / Double(recent.count)
            progress.update(step + 1, detail: String(format: "loss %.4f", mean))
            if (step + 1) % 200 == 0 || step + 1 == trainingConfiguration.steps {
                // A checkpoint of NaN weights would be resumed from and saved without a word.
                try trainer.requireFiniteWeights(after: "step \(step + 1)")
                metadata["dpl.training.final_loss"] = String(format: "%.5f", mean)
                try saveCheckpoint(stepsDone: step + 1)
            }
        }
        metadata["dpl.training.seconds_this_run"] = String(format: "%.0f", Date().timeIntervalSince(started))
        // The saved model carries the averaged weights.
        let trained = try UNet(configuration, key: RandomKey(seed: settings.seed, purpose: "init"))
        try trained.loadStateDict(trainer.averagedStateDict())
        if let validation {
            for (t, loss) in try denoisingLoss(trained, images: validation.images, timesteps: [25, 50, 100, 200], seed: settings.seed) {
                context.print(String(format: "held-out denoising loss at t=%d: %.4f", t, loss))
                metadata["dpl.training.heldout_loss_t\(t)"] = String(format: "%.5f", loss)
            }
        }
        return .runtime(ModelValue(model: trained, architecture: .unet(configuration), path: nil, metadata: metadata))
    }

    /// Mean ε-prediction loss of `model` on up to 256 images at each timestep, with keyed noise.
    static func denoisingLoss(_ model: UNet, images: Tensor, timesteps: [Int], seed: UInt64) throws -> [(Int, Double)] {
        let count = min(256, images.shape[0])
        let x0 = try images.slice(axis: 0, range: 0..<count) * 2 - 1
        let schedule = NoiseSchedule.ddpm
        return try withoutGradients {
            try timesteps.map { t in
                let noise = try Tensor.normal(shape: x0.shape, key: RandomKey(seed: seed, purpose: "train.diffusion.validate", step: t),
                                              sampleIDs: (0..<count).map(UInt64.init))
                let abar = schedule.alphasCumprod[t - 1]
                let noised = try x0 * Float(abar.squareRoot()) + noise * Float((1 - abar).squareRoot())
                var total = 0.0
                for start in stride(from: 0, to: count, by: 64) {
                    let range = start..<min(count, start + 64)
                    let predicted = try model.predictNoise(noised.slice(axis: 0, range: range), timesteps: Array(repeating: Float(t - 1), count: range.count))
                    total += Double(try mse(predicted, noise.slice(axis: 0, range: range), reduction: .sum).item())
                }
                return (t, total / Double(x0.count))
            }
        }
    }

    /// Loads weights and optimizer state; returns the number of finished epochs.
    static func restore(trainer: ClassifierTrainer, from path: String) throws -> Int {
        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
        let all = try file.tensors()
        try trainer.model.loadStateDict(all.filter { !$0.name.hasPrefix("optimizer.") })
        let optimizerState = all.filter { $0.name.hasPrefix("optimizer.") }
            .map { (name: String($0.name.dropFirst("optimizer.".count)), tensor: $0.tensor) }
        try trainer.optimizer.loadStateTensors(optimizerState, names: trainer.model.namedParameters())
        guard let done = file.metadata["dpl.training.epochs_done"].flatMap(Int.init) else {
            throw RuntimeError("checkpoint \(path) does not record how many epochs were done (metadata dpl.training.epochs_done); delete it or pass resume=false")
        }
        return done
    }

    static func prefixed(_ tensors: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
        tensors.map { ("optimizer." + $0.name, $0.tensor) }
    }
}

/// Sorted-key JSON of a value, for metadata.
func encodeJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}
