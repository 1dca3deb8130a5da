import Foundation
import DPLLang

// MARK: - A script's predicted run time

/// What `dpl estimate` found for a script: every stage call's model passes, each model's
/// measured speed, and the predicted seconds they add up to.
public struct ScriptEstimate {
    /// The counted stage calls, in the order they would run.
    public let stages: [StageWork]
    /// Each model's speed on this machine (empty when not calibrated).
    public let speeds: [EstimatedModel: ModelSpeed]
    /// What the prediction leaves out for this script.
    public let unpredicted: [String]
    /// The session's batch size at the end of the script.
    public let batchSize: Int

    /// GFLOP of `work`: forward and backward passes count the forward's FLOPs each, and a
    /// training step's backward twice (to the weights as well as through the layers).
    public static func gigaflops(of work: StageWork) -> Double {
        work.passes.reduce(0) { sum, entry in
            let backward = Double(entry.passes.backward) * (work.trainsWeights ? 2 : 1)
            return sum + (Double(entry.passes.forward) + backward) * entry.model.flopsPerImage / 1e9
        }
    }

    /// Predicted seconds of `work` on this machine, or nil without a speed for one of its models.
    public func seconds(of work: StageWork) -> Double? {
        var total = 0.0
        for entry in work.passes where entry.model.flopsPerImage > 0 {
            guard let speed = speeds[entry.model] else { return nil }
            let backward = Double(entry.passes.backward) * (work.trainsWeights ? 2 : 1)
            total += Double(entry.passes.forward) * entry.model.flopsPerImage / speed.forwardRate
            total += backward * entry.model.flopsPerImage / speed.backwardRate
        }
        return total
    }

    /// Predicted seconds of the whole script, or nil when a stage has none.
    public var totalSeconds: Double? {
        var total = 0.0
        for work in stages {
            guard let seconds = seconds(of: work) else { return nil }
            total += seconds
        }
        return total
    }

    /// What the estimate never predicts, whatever the script.
    public static let neverPredicted = [
        "reading data and weight files, and writing results, plots and journals",
        "work outside the models' convolutions and matrix products (attack steps, noise draws, norms, activations); a few per cent where the models dominate, more for tiny models",
        "a run resumed from a journal (finished batches are skipped) and other processes sharing the cores",
    ]

    /// `2.4 s`, `3 min 10 s`, `1 h 05 min`.
    public static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min \(String(format: "%02d", whole % 60)) s" }
        return "\(whole / 3600) h \(String(format: "%02d", (whole % 3600) / 60)) min"
    }
}
