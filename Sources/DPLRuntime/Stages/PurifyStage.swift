import Foundation
import DPLAttacks
import DPLDiffusion
import DPLLang
import DPLNN
import DPLTensor

/// `purify t=100 sampler=ddpm|ddim|sde seed=fixed|random|N grad=full|bpda|none` — diffusion
/// purification as a lazy, differentiable transform of the images: `classify` runs it as part
/// of the defense (once per draw of its evaluation rule) and `attack` differentiates through it.
///
/// Randomness (docs/purification.md): every draw is keyed by (seed, purpose, step, call) and
/// the sample id. `fixed` uses the session seed and call 0, `seed=N` seed N and call 0, so the
/// defense is a deterministic function of each image. `random` uses a seed unique to this
/// stage's invocation in the script and call = 1 + the defense call index, which names the
/// phase (attack, clean or adversarial evaluation), restart, iteration and draw — never how
/// many calls came before — so results do not depend on batching or sharding.
enum PurifyStage {
    static let signature = StageSignature(
        name: "purify", doc: "Diffusion purification: noise the images to step t and denoise back with a sampler; lazy and differentiable.",
        input: .kinds([RuntimeKinds.dataset, RuntimeKinds.batch]), output: RuntimeKinds.batch,
        parameters: [
            Parameter("t", .integer, default: .number(100), minimum: 1, maximum: 1000, doc: "Diffusion step to noise to, on the 0…1000 schedule (sde: t* = t/1000).",
                      // The ancestral sampler runs t steps, so t itself is capped.
                      smoke: .atMost(SmokeMode.ddpmTimestep, when: ParameterCondition("sampler", in: ["ddpm"]))),
            Parameter("sampler", .choice(["ddpm", "ddim", "sde"]), default: .name("ddpm"), doc: "Reverse process: ddpm (ancestral, t steps), ddim (steps= strided steps), sde (DiffPure's reverse VP-SDE, Euler–Maruyama)."),
            Parameter("steps", .integer, default: .number(10), minimum: 1, doc: "ddim only: number of strided reverse steps.",
                      smoke: .atMost(SmokeMode.ddimSteps, when: ParameterCondition("sampler", in: ["ddim"]))),
            Parameter("eta", .number, default: .number(0), minimum: 0, maximum: 1, doc: "ddim only: 0 is deterministic DDIM, 1 matches DDPM's variance."),
            Parameter("dt", .number, default: .number(1e-3), minimum: 1e-6, maximum: 0.1, doc: "sde only: Euler–Maruyama step on the 0…1 time scale.",
                      // Widened so the reverse SDE takes at most `sdeSteps` steps from t/1000.
                      smoke: .atLeast("t", dividedBy: 1000 * Double(SmokeMode.sdeSteps), when: ParameterCondition("sampler", in: ["sde"]))),
            Parameter("seed", .oneOf([.choice(["fixed", "random"]), .integer]), default: .name("fixed"), minimum: 0, doc: "fixed: same noise for the same image every call; random: fresh noise every call; N: fixed under key N."),
            Parameter("grad", .choice(["full", "bpda", "none"]), default: .name("full"), doc: "Gradient for attacks: full (exact, checkpointed), bpda (identity backward), none (blocks gradients)."),
            Parameter("model", .any, doc: "The diffusion model (default: the `diffusion` setting, else the shipped fmnist-unet-tiny)."),
        ])

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { input, arguments, _, context in
            let record = try ImageRecord.from(input, stage: "purify")
            let args = ArgumentReader(stage: "purify", arguments: arguments)
            let settings = SessionSettings(context)
            let model = try state.models.resolve(argument: args.value("model"), setting: context.settings["diffusion"],
                                                 defaultFile: ModelLibrary.defaultDiffusionFile, role: "diffusion model",
                                                 baseDirectory: context.baseDirectory)
            guard let predictor = model.noisePredictor else {
                throw RuntimeError("\(model.description) is a classifier, not a diffusion model; give purify model= a U-Net")
            }
            let t = try args.integer("t")
            let samplerName = try args.text("sampler")
            let sampler: Sampler
            switch samplerName {
            case "ddim": sampler = .ddim(steps: try args.integer("steps"), eta: Float(try args.number("eta")))
            case "sde": sampler = .sde(stepSize: try args.number("dt"))
            default: sampler = .ddpm
            }
            let gradientName = try args.text("grad")
            let gradient = GradientMode(rawValue: gradientName) ?? .full
            let seedValue = args.value("seed")
            let invocation = state.freshCall()
            let seed: SeedMode
            if let n = seedValue?.integerValue {
                // The range (0…2^63−1) was checked against the signature; a negative key trapped here.
                guard let key = UInt64(exactly: n) else {
                    throw RuntimeError("`purify seed=\(n)` is not a key; give a seed from 0 to \(Int.max), fixed or random")
                }
                seed = .seed(key)
            } else if seedValue?.textValue == "random" {
                seed = .random(stream: SeedMode.randomStream(session: settings.seed, invocation: invocation))
            } else {
                seed = .seed(settings.seed)
            }
            let seedDescription = seedValue.map { $0.integerValue.map(String.init) ?? $0.textValue ?? "fixed" } ?? "fixed"
            // Polled before every reverse step, so Ctrl-C stops even a single long purification.
            let purifier = try Purifier(model: predictor,
                                        settings: PurificationSettings(t: t, sampler: sampler, seed: seed, gradient: gradient),
                                        checkCancellation: { [context] in try context.checkCancellation() })
            var description = "purify t=\(t) sampler=\(sampler) seed=\(seedDescription) grad=\(gradientName)"
            if let path = model.path { description += " model=\((path as NSString).lastPathComponent)" }
            let transform = DefenseTransform.purification(purifier, description: description)
            record.pendingTransforms.append(transform)
            record.trail.append(description)
            return .runtime(record)
        }
    }
}
