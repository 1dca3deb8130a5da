import Foundation
import DPLData
import DPLLang
import DPLNN
import DPLTensor

/// `train classifier arch=cnn-small epochs=5 lr=1e-3` — trains a model on the piped-in
/// dataset, with a progress bar, a checkpoint after every epoch, `resume=true` to continue
/// an interrupted run, and a held-out evaluation at the end (`validate=` a dataset).
enum TrainStage {
    static let signature = StageSignature(
        name: "train", doc: "Trains a classifier (cross-entropy, Adam) on the piped-in dataset; checkpoints every epoch and can resume.",
        input: .kinds([RuntimeKinds.dataset]), output: RuntimeKinds.model,
        parameters: [
            Parameter("role", .choice(["classifier"]), required: true, doc: "What to train."),
            Parameter("arch", .choice(Architecture.names), default: .name("cnn-small"), doc: "The architecture."),
            Parameter("epochs", .integer, default: .number(5), minimum: 1, doc: "Passes over the data."),
            Parameter("lr", .number, default: .number(1e-3), minimum: 0, doc: "Adam's learning rate."),
            Parameter("weight_decay", .number, default: .number(0), minimum: 0, doc: "Decoupled weight decay (AdamW) when > 0."),
            Parameter("batch", .integer, default: .number(128), minimum: 1, doc: "Images per optimizer step."),
            Parameter("validate", .value(RuntimeKinds.dataset), doc: "A held-out dataset evaluated after every epoch."),
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
            let archName = try args.text("arch")
            guard let architecture = Architecture(named: archName), case .cnn(var configuration) = architecture else {
                throw RuntimeError("`train classifier` needs a classifier architecture such as cnn-small; `\(archName)` is a diffusion model")
            }
            configuration.inputChannels = data.imageShape[0]
            configuration.imageSize = data.imageShape[1]
            configuration.classes = max(configuration.classes, data.classNames.count)
            let trainingConfiguration = ClassifierTrainingConfiguration(
                epochs: try args.integer("epochs"), batchSize: try args.integer("batch"),
                learningRate: try args.number("lr"), weightDecay: try args.number("weight_decay"), seed: settings.seed)
            let model = try CNNClassifier(configuration, key: RandomKey(seed: settings.seed, purpose: "init"))
            let trainer = try ClassifierTrainer(model: model, configuration: trainingConfiguration)
            let checkpoint = args.optionalText("checkpoint").map { LoadStage.resolve($0, base: context.baseDirectory) }
                ?? (settings.outputFolder as NSString).appendingPathComponent("train-\(archName).checkpoint.safetensors")
            let validation = args.value("validate")?.runtimeValue(as: DatasetValue.self)?.dataset

            var startEpoch = 0
            if try args.bool("resume"), FileManager.default.fileExists(atPath: checkpoint) {
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
