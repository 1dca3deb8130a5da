import Foundation
import DPLAttacks

/// What `classify` established about a record: accuracy of the defense on its images, or,
/// after an `attack`, the full robustness result (clean and robust accuracy per sample).
public enum Evaluation {
    /// No attack ran: predictions of the defense on the record's images.
    case accuracy(AccuracyResult)
    /// An attack ran: the adversarial evaluation.
    case robustness(RobustnessResult)

    /// Human-readable lines for printing a record.
    public var summaryLines: [String] {
        switch self {
        case .accuracy(let result):
            return ["accuracy \(result.accuracy.formatted) (n=\(result.n), \(result.defense), eval=\(result.rule))"]
        case .robustness(let result):
            let line = "clean \(result.cleanAccuracy.formatted), robust \(result.robustAccuracy.formatted) (n=\(result.n), \(result.threatModel), \(result.attack))"
            guard let rule = result.targetRule, let hit = result.targetedSuccessRate else { return [line] }
            return [line, "targeted success \(hit.formatted) (\(rule))"]
        }
    }
}

/// Predictions of a defense on unattacked images.
public struct AccuracyResult {
    /// The defense, e.g. `purify t=100 sampler=ddpm seed=fixed grad=full | classify cnn`.
    public var defense: String
    /// The evaluation rule.
    public var rule: EvaluationRule
    /// Each sample's id (the key of its noise).
    public var sampleIDs: [UInt64]
    /// Each sample's label.
    public var labels: [Int]
    /// Each sample's verdict.
    public var verdicts: [Verdict]
    /// Which model outputs the per-sample rows carry (`classify outputs=`); nil: none.
    public var outputs: ModelOutputs.Kind? = nil

    /// The number of samples.
    public var n: Int { labels.count }
    /// The fraction correct under the rule.
    public var accuracy: Proportion { Proportion(verdicts.filter(\.correct).count, of: n) }
}
