import DPLTensor

// MARK: - FGSM

/// The Fast Gradient Sign Method (Goodfellow et al., 2015): one step of full size ε along the
/// steepest-ascent direction of the loss, `x + ε·sign(∇)` (L∞) or `x + ε·∇/‖∇‖₂` (L2), then
/// into [0, 1]. Targeted: ascend minus the cross-entropy of the target.
public struct FGSM: Attack {
    /// The budget.
    public let budget: AttackBudget
    /// Calls averaged for the gradient.
    public let eotSamples: Int
    /// The loss it ascends.
    public let loss: AttackLoss

    /// FGSM with `budget`, averaging the gradient over `eot` calls.
    /// - Throws: `AttackError` when eot < 1.
    public init(budget: AttackBudget, eot: Int = 1, loss: AttackLoss = .crossEntropy) throws {
        self.budget = budget
        self.eotSamples = try validatedEOT(eot, attack: "fgsm")
        self.loss = loss
    }

    /// `fgsm`.
    public var name: String { "fgsm" }
    /// FGSM follows the gradient.
    public var needsGradients: Bool { true }
    /// norm, eps, loss, eot.
    public var settings: [AttackSetting] {
        [AttackSetting("norm", "\(budget.norm)"), AttackSetting("eps", "\(budget.epsilon)"),
         AttackSetting("loss", "\(loss)"), AttackSetting("eot", "\(eotSamples)")]
    }

    /// One step from the clean images.
    public func perturb(_ batch: AttackBatch, against defense: Defense) throws -> AttackOutcome {
        var oracle = LossOracle(defense: defense, loss: loss, batch: batch, eotSamples: eotSamples)
        let clean = batch.images.scalars
        let start = try oracle.evaluate(clean, restart: 0, iteration: 0, withGradient: true)
        let direction = ascentDirection(start.gradient, width: batch.width, norm: budget.norm)
        var adversarial = clean
        for i in adversarial.indices { adversarial[i] += budget.epsilon * direction[i] }
        budget.project(&adversarial, around: clean, width: batch.width)
        let end = try oracle.evaluate(adversarial, restart: 0, iteration: 1, withGradient: false)
        batch.observeStep?(AttackStep(restart: 0, restarts: 1, iteration: 1, iterations: 2, losses: end.values,
                                      fooled: end.success.filter { $0 }.count, samples: batch.count))
        return AttackOutcome(adversarial: try Tensor(shape: batch.images.shape, scalars: adversarial),
                             foundDuringSearch: end.success, zeroGradient: oracle.zeroGradient,
                             nonFiniteGradient: oracle.nonFiniteGradient, defenseCalls: oracle.calls)
    }
}

/// Checks an EOT count.
func validatedEOT(_ eot: Int, attack: String) throws -> Int {
    guard eot >= 1, eot <= DefenseCallIndex.maxDraw + 1 else {
        throw AttackError(attack, "eot=\(eot) must be between 1 and \(DefenseCallIndex.maxDraw + 1)")
    }
    return eot
}

/// Checks a count parameter (steps, restarts, queries).
func validatedCount(_ value: Int, _ name: String, attack: String, minimum: Int, maximum: Int) throws -> Int {
    guard value >= minimum, value <= maximum else {
        throw AttackError(attack, "\(name)=\(value) must be between \(minimum) and \(maximum)")
    }
    return value
}
