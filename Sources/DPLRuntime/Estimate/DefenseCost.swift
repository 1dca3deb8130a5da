import DPLAttacks
import DPLDiffusion

// MARK: - Model passes of one defense call

/// A defense as the estimate sees it: the purifiers before the classifier (each with its noise
/// model) and the classifier, with the passes one call of the defense runs per image.
struct DefenseCost {
    /// Each purification transform's purifier and noise model, in order.
    let purifiers: [(purifier: Purifier, model: EstimatedModel)]
    /// The classifier.
    let classifier: EstimatedModel
    /// Whether each call draws fresh randomness (then `vote:K`/`worst:K` run K draws).
    let isRandomized: Bool

    /// Passes of one purification of every transform (no classifier), per image.
    func purification(batch: Int, withGradient: Bool) -> [(EstimatedModel, ModelPasses)] {
        purifiers.map { entry in
            let cost = entry.purifier.cost(batch: batch, withGradient: withGradient)
            return (entry.model, ModelPasses(forward: cost.forward, backward: cost.backward))
        }
    }

    /// Passes of one defense call (purification, then the classifier), per image; with
    /// `withGradient` the input gradient of the logits as well.
    func call(batch: Int, withGradient: Bool) -> [(EstimatedModel, ModelPasses)] {
        purification(batch: batch, withGradient: withGradient)
            + [(classifier, ModelPasses(forward: 1, backward: withGradient ? 1 : 0))]
    }

    /// Draws the verdicts under `rule` take: a deterministic defense is called once whatever K
    /// is (`verdicts(of:…)`).
    func draws(_ rule: EvaluationRule) -> Int { isRandomized ? rule.draws : 1 }
}

extension StageWork {
    /// Adds `count` times each of `calls` to the stage.
    mutating func add(_ count: Int, of calls: [(EstimatedModel, ModelPasses)]) {
        guard count > 0 else { return }
        for (model, passes) in calls { add(model, count * passes) }
    }
}
