import Foundation
import DPLLang

// MARK: - Estimating a script, a REPL line or a pipeline

/// Why a script could not be estimated: its diagnostics, rendered as `dpl check` shows them.
public struct EstimateFailure: Error, CustomStringConvertible {
    /// The rendered diagnostics.
    public let description: String
}

/// `dpl estimate`, the REPL's `:estimate` and the default source's announcement: plan a
/// script with counting stages (`EstimatePlanner`), then time each model it uses once.
///
/// Planning uses its own runtime state, so it neither advances the fresh-randomness counter
/// nor records opened files: a run after an estimate draws the same noise and writes the same
/// provenance as a run without one. It writes no file.
public enum ScriptEstimator {
    /// Estimates `source` in a fresh session with `settingAssignments` applied; `prelude` (the
    /// REPL's earlier input) runs first, uncounted, so the line sees the session's variables
    /// and settings.
    public static func estimate(_ source: SourceFile, settingAssignments: [String] = [], prelude: [SourceFile] = [],
                                settings: SettingsRegistry = .standard, loader: SourceLoader = .fileSystem,
                                writePolicy: WritePolicy = WritePolicy(),
                                calibrate: Bool = true) -> Result<ScriptEstimate, EstimateFailure> {
        let planner: EstimatePlanner
        let registry: StageRegistry
        do {
            // The run's write policy, so a script checks as it would before `dpl run`.
            planner = try EstimatePlanner(state: RuntimeState(writePolicy: writePolicy))
            registry = try planner.makeRegistry()
        } catch {
            return .failure(EstimateFailure(description: "internal error while preparing the estimate: \(error)"))
        }
        let session = Session(registry: registry, settings: settings, loader: loader, output: { _ in })
        for assignment in settingAssignments {
            if let text = session.applySetting(assignment).errorText { return .failure(EstimateFailure(description: text)) }
        }
        // Earlier REPL input may have failed when it ran; replaying it only restores what it defined.
        for earlier in prelude { _ = session.run(earlier) }
        planner.forgetCounts()
        if let text = session.run(source).errorText { return .failure(EstimateFailure(description: text)) }
        do {
            return .success(try finish(planner, calibrate: calibrate))
        } catch {
            return .failure(EstimateFailure(description: "cannot time the models on this machine: \(error)"))
        }
    }

    /// The predicted time of a pipeline about to run (`stages`, bound to the real stages), for
    /// the default source's announcement: "predicted 3 min 10 s by dpl estimate"; nil when it
    /// cannot be predicted (then the line just says less).
    static func predict(_ stages: [BoundStage], context: StageContext) -> String? {
        guard let planner = try? EstimatePlanner(state: RuntimeState()), let registry = try? planner.makeRegistry() else { return nil }
        let rebound = stages.compactMap { $0.rebound(to: registry) }
        guard rebound.count == stages.count, (try? BoundStage.runChain(rebound, input: nil, context: context)) != nil,
              let estimate = try? finish(planner, calibrate: true), let seconds = estimate.totalSeconds else { return nil }
        PipelineSpeeds.remember(estimate.speeds, for: context)
        return "predicted \(ScriptEstimate.duration(seconds)) of model work (dpl estimate)"
    }

    /// The predicted seconds of an attack about to run on `input` with `arguments` against the
    /// defense `downstream`, for its progress bar before the first step is measured; nil when
    /// it cannot be predicted. The models are timed on at most `calibrationBatch` images, so
    /// the prediction costs a fraction of a second for the shipped models (a larger batch
    /// runs somewhat faster per image, so the ETA errs long) — unless the default source's
    /// announcement of this same pipeline already timed them: then its speeds are used, so the
    /// announced time and the bar's first ETA agree.
    static func predictAttackSeconds(input: Value, arguments: [String: Value], downstream: [BoundStage],
                                     context: StageContext, calibrationBatch: Int = 4) -> Double? {
        guard let planner = try? EstimatePlanner(state: RuntimeState()), let registry = try? planner.makeRegistry(),
              let attack = registry.entry(named: "attack") else { return nil }
        let rebound = downstream.compactMap { $0.rebound(to: registry) }
        guard rebound.count == downstream.count, (try? attack.body(input, arguments, rebound, context)) != nil,
              let estimate = try? finish(planner, calibrate: true, batchCap: calibrationBatch,
                                         known: PipelineSpeeds.recalled(for: context)) else { return nil }
        return estimate.totalSeconds
    }

    /// The planner's counts with every model timed (when `calibrate`), on at most `batchCap`
    /// images when given; a model in `known` is not timed again.
    private static func finish(_ planner: EstimatePlanner, calibrate: Bool, batchCap: Int? = nil,
                               known: [EstimatedModel: ModelSpeed] = [:]) throws -> ScriptEstimate {
        var speeds: [EstimatedModel: ModelSpeed] = [:]
        guard calibrate else {
            return ScriptEstimate(stages: planner.stages, speeds: speeds, unpredicted: planner.unpredicted, batchSize: planner.batchSize)
        }
        // Each model is timed at the largest batch a stage runs it on (a smoke run's 4 images
        // are one batch of 4, however large the `batch` setting; training has its own batch).
        var batches: [EstimatedModel: Int] = [:]
        for work in planner.stages where work.batches > 0 {
            let batch = (work.images + work.batches - 1) / work.batches
            for entry in work.passes where entry.model.flopsPerImage > 0 { batches[entry.model] = max(batches[entry.model] ?? 1, batch) }
        }
        for (model, batch) in batches {
            // Another planner loaded its own copy of the model (another object), so a known
            // speed is matched by what determines it: the architecture's FLOPs, the image
            // shape and the name.
            if let speed = known[model] ?? known.first(where: { $0.key.sameWork(as: model) })?.value {
                speeds[model] = speed
                continue
            }
            guard let module = planner.modules[model.identity] else { continue }
            speeds[model] = try Calibration.measure(module, model, batch: min(batch, batchCap ?? batch))
        }
        return ScriptEstimate(stages: planner.stages, speeds: speeds, unpredicted: planner.unpredicted, batchSize: planner.batchSize)
    }
}

/// The model speeds the default source's announcement measured for the pipeline now running,
/// keyed by that pipeline's run (`StageContext.run`: the announcement's silent context and the
/// running stages' context are two objects of one run), so its attack's progress bar predicts
/// from the same timing instead of a second one at another batch size (which gave 31 h in the
/// announcement and 49 h in the bar). Only the latest run is kept; a new run times again.
enum PipelineSpeeds {
    private final class Entry: @unchecked Sendable {
        weak var run: PipelineRun?
        var speeds: [EstimatedModel: ModelSpeed] = [:]
    }
    private static let lock = NSLock()
    private static let latest = Entry()

    static func remember(_ speeds: [EstimatedModel: ModelSpeed], for context: StageContext) {
        lock.withLock {
            latest.run = context.run
            latest.speeds = speeds
        }
    }

    static func recalled(for context: StageContext) -> [EstimatedModel: ModelSpeed] {
        lock.withLock { latest.run === context.run ? latest.speeds : [:] }
    }
}
