import Foundation
import DPLData
import DPLDiffusion
import DPLLang
import DPLNN
import DPLTensor

// MARK: - `train diffusion`

extension TrainStage {
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
            "dpl.training.configuration": try trainingMetadataJSON(trainingConfiguration),
            "dpl.diffusion.schedule": "linear beta 1e-4..0.02, T=1000, epsilon prediction",
            "dpl.diffusion.trained_timesteps": "0..<\(trainingConfiguration.maxTimestep)",
        ]
        var start = 0
        if resume {
            start = try trainer.resume(from: checkpoint)
            context.print("resuming from \(checkpoint) after step \(start)")
        }
        let progress = ProgressReporter("train diffusion", total: trainingConfiguration.steps, unit: "step", alreadyDone: start)
        defer { progress.close() }
        let started = Date()
        try context.checkCancellation()
        try trainer.train(images: data.images, from: start, checkpoint: checkpoint, metadata: &metadata) { done, mean in
            progress.update(done, detail: String(format: "loss %.4f", mean))
            try context.checkCancellation()
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
}
