import Foundation
import DPLAttacks
import DPLLang

/// Smoke mode (`dpl run FILE --smoke`, `set smoke = true`): every stage of a script runs,
/// through the same code paths, on sizes small enough that any script finishes in seconds —
/// to check that a script works before spending an hour on it, and to test every example in CI.
/// The numbers it prints are not results.
///
/// The limits' values live here; which parameter each one shrinks, and when, is declared on
/// the parameter in its stage's signature (`Parameter.smoke`, e.g. `attack steps=` with
/// `.atMost(attackSteps, whenAbsent: true)`), so this file names no stage. Limits are applied
/// to a stage's arguments before its body runs (so the descriptions a stage prints show what
/// actually ran: `pgd steps=2`), to the dataset of a stage that starts a pipeline with one
/// (`load`) after it runs, and to the evaluation rule wherever a classifier setup is built
/// (`classify`, and `attack` for the `classify` that ends its defense). Files go under
/// `<out>/smoke/` instead of where the script names them (every parameter declared
/// `writesFile`, and the `out` folder itself for default files such as checkpoints and attack
/// journals), so a smoke run never overwrites a shipped model or a real result.
enum SmokeMode {
    // MARK: - The limits

    /// Samples `load` keeps (the first ones after `offset`).
    static let samples = 4
    /// Attack iterations (pgd, apgd; every attack when `steps=` is given).
    static let attackSteps = 2
    /// Restarts of every attack.
    static let attackRestarts = 1
    /// EOT draws per gradient or score.
    static let eotDraws = 2
    /// Queries per restart of `square`.
    static let squareQueries = 10
    /// `purify sampler=ddpm` and `sampler=guided`: ancestral samplers run t steps, so t itself is capped.
    static let ddpmTimestep = 10
    /// `purify sampler=ddim`: strided steps (t is kept).
    static let ddimSteps = 2
    /// `purify sampler=sde`: Euler–Maruyama steps (t is kept; dt grows to t/1000 / 4).
    static let sdeSteps = 4
    /// K of `classify eval="vote:K"` and `"worst:K"`.
    static let evaluationDraws = 2
    /// `measure spread draws=`.
    static let spreadDraws = 2
    /// `measure compression pairs=`.
    static let compressionPairs = 2
    /// `train classifier`: passes over the (already shrunken) data.
    static let classifierEpochs = 1
    /// `train`: images per optimizer step, so 4 samples make 2 steps per epoch.
    static let trainingBatch = 2
    /// `train diffusion`: optimizer steps.
    static let diffusionSteps = 2
    /// The folder under the `out` setting where smoke runs write every file.
    static let folder = "smoke"

    /// The line every smoke run prints before its first stage.
    static let announcement = "smoke run: sizes reduced (n ≤ \(samples), attack steps ≤ \(attackSteps), restarts \(attackRestarts), "
        + "eot ≤ \(eotDraws), square queries ≤ \(squareQueries), ddpm and guided t ≤ \(ddpmTimestep), ddim steps ≤ \(ddimSteps), "
        + "sde steps ≤ \(sdeSteps), eval K ≤ \(evaluationDraws), measure draws and pairs ≤ \(spreadDraws), "
        + "training \(classifierEpochs) epoch or \(diffusionSteps) steps of batch \(trainingBatch), files under <out>/\(folder)/), "
        + "numbers are not results"

    // MARK: - Wrapping the registry

    /// Whether the session runs in smoke mode.
    static func isOn(_ context: StageContext) -> Bool { context.settings["smoke"]?.boolValue == true }

    /// `registry` with every body wrapped: in smoke mode the arguments shrink before the body
    /// runs, `load`'s dataset shrinks after it, and the first stage of the session prints the
    /// announcement. Outside smoke mode the bodies run unchanged.
    static func wrapping(_ registry: StageRegistry, state: RuntimeState) throws -> StageRegistry {
        var wrapped = StageRegistry()
        for signature in registry.signatures {
            guard let body = registry.entry(named: signature.name)?.body else { continue }
            let shrinksOutput = signature.output == RuntimeKinds.dataset && signature.input == .nothing
            try wrapped.register(signature) { input, arguments, downstream, context in
                guard isOn(context) else {
                    state.smokeAnnounced = false
                    return try body(input, arguments, downstream, context)
                }
                if !state.smokeAnnounced {
                    context.print(announcement)
                    state.smokeAnnounced = true
                }
                let shrunk = try shrink(arguments, of: signature, context: context, state: state)
                let output = try body(input, shrunk, downstream, context)
                // A stage that starts a pipeline with a dataset (`load`) gives its first samples only.
                return shrinksOutput ? try shrink(loaded: output) : output
            }
        }
        return wrapped
    }

    // MARK: - What shrinks

    /// The arguments a stage runs with in smoke mode: each parameter's declared `SmokeLimit`
    /// (where the parameter applies), and every file it writes moved under `<out>/smoke/`.
    /// What shrinks is declared in the stages' signatures, beside each parameter.
    static func shrink(_ arguments: [String: Value], of signature: StageSignature, context: StageContext,
                       state: RuntimeState) throws -> [String: Value] {
        var shrunk = arguments
        for parameter in signature.parameters {
            if let applies = parameter.appliesWhen, !applies.holds(in: arguments) { continue }
            if let limit = parameter.smoke {
                shrunk[parameter.name] = limit.apply(to: arguments[parameter.name], arguments: arguments)
            }
            if parameter.writesFile, let path = arguments[parameter.name]?.textValue {
                shrunk[parameter.name] = .string(redirect(path, context: context, state: state))
            }
        }
        return shrunk
    }

    /// The first `samples` samples of a loaded dataset.
    static func shrink(loaded output: Value) throws -> Value {
        guard let loaded = output.runtimeValue(as: DatasetValue.self), loaded.dataset.count > samples else { return output }
        return .runtime(DatasetValue(try loaded.dataset.subset(offset: 0, count: samples)))
    }

    /// An evaluation rule with at most `evaluationDraws` draws in smoke mode.
    static func limit(_ rule: EvaluationRule, in context: StageContext) -> EvaluationRule {
        guard isOn(context) else { return rule }
        switch rule {
        case .single: return .single
        case .vote(let k): return .vote(min(k, evaluationDraws))
        case .worst(let k): return .worst(min(k, evaluationDraws))
        }
    }

    /// Where a file the script names goes in smoke mode: `<out>/smoke/<its file name>`, with
    /// `<out>` resolved against the script's folder as every output is. Models saved there are
    /// found again under their original name by later stages of the session.
    static func redirect(_ path: String, context: StageContext, state: RuntimeState) -> String {
        let outFolder = LoadStage.resolve(context.settings["out"]?.textValue ?? "out", base: context.baseDirectory)
        let target = ((outFolder as NSString).appendingPathComponent(folder) as NSString)
            .appendingPathComponent((path as NSString).lastPathComponent)
        state.models.redirect(LoadStage.resolve(path, base: context.baseDirectory), to: target)
        return target
    }
}
