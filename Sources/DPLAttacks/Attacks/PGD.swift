import DPLTensor

// MARK: - PGD

/// Projected Gradient Descent (Madry et al., 2018), as ascent on the loss: from a random start
/// in the ball, `steps` steps of size `stepSize` along `sign(∇)` (L∞) or `∇/‖∇‖₂` (L2), each
/// projected back into the ball and [0, 1]; `restarts` independent runs. With `keep = .best`
/// every iterate is offered to `BestPoints`, so a misclassified point is kept once found and
/// otherwise the highest-loss point is returned; with `keep = .last` only each restart's final
/// iterate is (see `IterateRule`).
///
/// Random start: L∞ uniform in [−ε, ε] per pixel; L2 a direction uniform on the sphere
/// (normalized Gaussian) times ε·u with u uniform in [0, 1). Draws are keyed by
/// (seed, "attack.pgd", step = restart) and the sample id.
public struct PGD: Attack {
    /// The budget.
    public let budget: AttackBudget
    /// Steps per restart.
    public let steps: Int
    /// The step size α.
    public let stepSize: Float
    /// Whether each restart starts at a random point of the ball (else at the clean image).
    public let randomStart: Bool
    /// Independent runs.
    public let restarts: Int
    /// Calls averaged per gradient.
    public let eotSamples: Int
    /// The loss it ascends.
    public let loss: AttackLoss
    /// The seed of the random starts.
    public let seed: UInt64
    /// Which iterates may be returned.
    public let keep: IterateRule

    /// PGD with its settings.
    /// - Throws: `AttackError` for steps < 0, restarts < 1, eot < 1, or a step size that is
    ///   negative or not finite.
    public init(budget: AttackBudget, steps: Int, stepSize: Float, randomStart: Bool = true,
                restarts: Int = 1, eot: Int = 1, loss: AttackLoss = .crossEntropy, seed: UInt64 = 0,
                keep: IterateRule = .best) throws {
        self.budget = budget
        self.steps = try validatedCount(steps, "steps", attack: "pgd", minimum: 0, maximum: DefenseCallIndex.maxIteration - 1)
        guard stepSize.isFinite, stepSize >= 0 else {
            throw AttackError("pgd", "step=\(stepSize) must be a non-negative number, e.g. step=2/255")
        }
        self.stepSize = stepSize
        self.randomStart = randomStart
        self.restarts = try validatedCount(restarts, "restarts", attack: "pgd", minimum: 1, maximum: DefenseCallIndex.maxRestart)
        self.eotSamples = try validatedEOT(eot, attack: "pgd")
        self.loss = loss
        self.seed = seed
        self.keep = keep
    }

    /// `pgd`.
    public var name: String { "pgd" }
    /// PGD follows the gradient.
    public var needsGradients: Bool { true }
    /// norm, eps, steps, step, random start, restarts, loss, eot, keep, seed.
    public var settings: [AttackSetting] {
        [AttackSetting("norm", "\(budget.norm)"), AttackSetting("eps", "\(budget.epsilon)"),
         AttackSetting("steps", "\(steps)"), AttackSetting("step", "\(stepSize)"),
         AttackSetting("random_start", "\(randomStart)"), AttackSetting("restarts", "\(restarts)"),
         AttackSetting("loss", "\(loss)"), AttackSetting("eot", "\(eotSamples)"), AttackSetting("keep", "\(keep)"),
         AttackSetting("seed", "\(seed)")]
    }

    /// Runs all restarts and returns the best point per sample.
    public func perturb(_ batch: AttackBatch, against defense: Defense) throws -> AttackOutcome {
        var oracle = LossOracle(defense: defense, loss: loss, batch: batch, eotSamples: eotSamples)
        let clean = batch.images.scalars, width = batch.width
        var best = BestPoints(clean: clean, samples: batch.count)
        for restart in 0..<restarts {
            var x = clean
            if randomStart {
                let key = RandomKey(seed: seed, purpose: RandomPurpose("attack.\(name)"), step: restart)
                let offset = try randomBallPoints(shape: batch.images.shape, key: key, sampleIDs: batch.sampleIDs, budget: budget)
                for i in x.indices { x[i] += offset[i] }
                budget.project(&x, around: clean, width: width)
            }
            for iteration in 0...steps {
                let isLast = iteration == steps
                let here = try oracle.evaluate(x, restart: restart, iteration: iteration, withGradient: !isLast)
                if keep == .best || isLast { best.offer(x, losses: here.values, success: here.success) }
                batch.observeStep?(AttackStep(restart: restart, restarts: restarts, iteration: iteration, iterations: steps + 1,
                                              losses: here.values, fooled: best.found.filter { $0 }.count, samples: batch.count))
                if isLast { break }
                let direction = ascentDirection(here.gradient, width: width, norm: budget.norm)
                for i in x.indices { x[i] += stepSize * direction[i] }
                budget.project(&x, around: clean, width: width)
            }
        }
        return AttackOutcome(adversarial: try Tensor(shape: batch.images.shape, scalars: best.points),
                             foundDuringSearch: best.found, zeroGradient: oracle.zeroGradient,
                             nonFiniteGradient: oracle.nonFiniteGradient, defenseCalls: oracle.calls)
    }
}

// MARK: - Random points in the ball

/// Per-sample random offsets inside the ball of `budget` (flat): L∞ uniform in [−ε, ε]; L2 a
/// normalized Gaussian direction times ε·u, u uniform in [0, 1), drawn from the same stream
/// key with `call` 1 so it is independent of the direction.
func randomBallPoints(shape: [Int], key: RandomKey, sampleIDs: [UInt64], budget: AttackBudget) throws -> [Float] {
    let eps = budget.epsilon
    switch budget.norm {
    case .linf:
        return try Tensor.uniform(shape: shape, key: key, sampleIDs: sampleIDs, low: -eps, high: eps).scalars
    case .l2:
        var direction = try Tensor.normal(shape: shape, key: key, sampleIDs: sampleIDs).scalars
        let radii = try Tensor.uniform(shape: [sampleIDs.count, 1], key: key.forCall(1), sampleIDs: sampleIDs).scalars
        let width = sampleIDs.isEmpty ? 0 : direction.count / sampleIDs.count
        let norms = rowNorms(direction, width: width, norm: .l2)
        for n in norms.indices {
            let scale = norms[n] > 0 ? eps * radii[n] / norms[n] : 0
            for j in 0..<width { direction[n * width + j] *= scale }
        }
        return direction
    }
}
