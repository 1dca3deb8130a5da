import DPLTensor

// MARK: - APGD

/// Auto-PGD (Croce & Hein, "Reliable evaluation of adversarial robustness with an ensemble of
/// diverse parameter-free attacks", ICML 2020), following AutoAttack's `autopgd_base.py`:
///
/// - start: `x + ε·t/‖t‖` with t uniform in [−1, 1] (L∞) or Gaussian (L2), clipped to [0, 1];
/// - step size η = 2ε per sample; momentum α = 0.75 (1 at the first step):
///   `z = P(x_k + η·dir(∇))`, `x_{k+1} = P(x_k + α(z − x_k) + (1 − α)(x_k − x_{k−1}))`;
/// - checkpoints: the first after `p₁·N` iterations with p₁ = 0.22, then the interval shrinks
///   by 0.03·N per checkpoint down to 0.06·N (AutoAttack's integer form of the paper's p_j);
/// - at a checkpoint, per sample, halve η and restart from the best point (and its gradient)
///   when (1) the loss rose in at most ρ = 0.75 of the steps since the last checkpoint, or
///   (2) η was not halved at the last checkpoint and the best loss has not improved since;
/// - a misclassified iterate is kept once found; restarts keep the union of successes.
///
/// Where this differs from the reference: (1) condition 1 at the first checkpoint compares
/// the first step's loss with the loss at the starting point, as the paper defines it (the
/// reference compares with an unfilled row of zeros); (2) every restart runs on every sample
/// (the reference re-attacks only unfooled ones — the result for a fooled sample is the same,
/// and keyed randomness then makes a sample's result independent of its batch); (3) a sample
/// never fooled gets its highest-loss point, not the clean image, so a randomized defense's
/// final verdict is taken at the strongest point found; (4) with EOT, success during the
/// search is read from the averaged logits.
///
/// Losses: `ce`, `dlr`; targeted: `ce` (minus the target's cross-entropy) and `dlr`
/// (`−(z_y − z_t)/(z_π1 − (z_π3 + z_π4)/2)`), with targets given by the batch.
public struct APGD: Attack {
    /// The budget.
    public let budget: AttackBudget
    /// Iterations per restart (N).
    public let steps: Int
    /// Independent runs.
    public let restarts: Int
    /// The loss.
    public let loss: AttackLoss
    /// Calls averaged per gradient.
    public let eotSamples: Int
    /// The step-size halving threshold ρ.
    public let rho: Float
    /// The seed of the random starts.
    public let seed: UInt64

    /// The momentum weight of the new step.
    public static let momentum: Float = 0.75

    /// APGD with its settings.
    /// - Throws: `AttackError` for steps < 1, restarts < 1, eot < 1, ρ outside (0, 1], or the
    ///   `margin` loss (APGD is defined for ce and dlr).
    public init(budget: AttackBudget, steps: Int = 100, restarts: Int = 1, loss: AttackLoss = .crossEntropy,
                eot: Int = 1, rho: Float = 0.75, seed: UInt64 = 0) throws {
        self.budget = budget
        self.steps = try validatedCount(steps, "steps", attack: "apgd", minimum: 1, maximum: DefenseCallIndex.maxIteration - 1)
        self.restarts = try validatedCount(restarts, "restarts", attack: "apgd", minimum: 1, maximum: DefenseCallIndex.maxRestart)
        guard loss != .margin else {
            throw AttackError("apgd", "loss=margin is not an APGD loss; use loss=ce or loss=dlr")
        }
        self.loss = loss
        self.eotSamples = try validatedEOT(eot, attack: "apgd")
        guard rho > 0, rho <= 1 else {
            throw AttackError("apgd", "rho=\(rho) must be in (0, 1]; AutoAttack uses 0.75")
        }
        self.rho = rho
        self.seed = seed
    }

    /// `apgd`.
    public var name: String { "apgd" }
    /// APGD follows the gradient.
    public var needsGradients: Bool { true }
    /// norm, eps, steps, restarts, loss, rho, eot, seed.
    public var settings: [AttackSetting] {
        [AttackSetting("norm", "\(budget.norm)"), AttackSetting("eps", "\(budget.epsilon)"),
         AttackSetting("steps", "\(steps)"), AttackSetting("restarts", "\(restarts)"),
         AttackSetting("loss", "\(loss)"), AttackSetting("rho", "\(rho)"),
         AttackSetting("eot", "\(eotSamples)"), AttackSetting("seed", "\(seed)")]
    }

    /// The checkpoint schedule's integers: first interval, minimum interval, decrement.
    var checkpointIntervals: (first: Int, minimum: Int, decrement: Int) {
        (Swift.max(Int(0.22 * Double(steps)), 1), Swift.max(Int(0.06 * Double(steps)), 1),
         Swift.max(Int(0.03 * Double(steps)), 1))
    }

    /// Runs all restarts and returns the best point per sample.
    public func perturb(_ batch: AttackBatch, against defense: Defense) throws -> AttackOutcome {
        var oracle = LossOracle(defense: defense, loss: loss, batch: batch, eotSamples: eotSamples)
        var best = BestPoints(clean: batch.images.scalars, samples: batch.count)
        for restart in 0..<restarts {
            try singleRun(batch, restart: restart, oracle: &oracle, best: &best)
        }
        return AttackOutcome(adversarial: try Tensor(shape: batch.images.shape, scalars: best.points),
                             foundDuringSearch: best.found, zeroGradient: oracle.zeroGradient,
                             nonFiniteGradient: oracle.nonFiniteGradient, defenseCalls: oracle.calls)
    }

    /// Tells the batch's observer where the run is: iterate `iteration` of `steps + 1`.
    private func observe(_ batch: AttackBatch, restart: Int, iteration: Int, losses: [Float], best: BestPoints) {
        batch.observeStep?(AttackStep(restart: restart, restarts: restarts, iteration: iteration, iterations: steps + 1,
                                      losses: losses, fooled: best.found.filter { $0 }.count, samples: batch.count))
    }

    /// One run of APGD (AutoAttack's `attack_single_run`), offering its successes and its
    /// highest-loss points to `best`.
    private func singleRun(_ batch: AttackBatch, restart: Int, oracle: inout LossOracle, best: inout BestPoints) throws {
        let clean = batch.images.scalars, width = batch.width, samples = batch.count
        let eps = budget.epsilon

        // Start on the sphere of radius ε (L∞: the normalized uniform draw has max |t| = ε).
        let key = RandomKey(seed: seed, purpose: RandomPurpose("attack.\(name)"), step: restart)
        let draw = budget.norm == .linf
            ? try Tensor.uniform(shape: batch.images.shape, key: key, sampleIDs: batch.sampleIDs, low: -1, high: 1).scalars
            : try Tensor.normal(shape: batch.images.shape, key: key, sampleIDs: batch.sampleIDs).scalars
        let drawNorms = rowNorms(draw, width: width, norm: budget.norm)
        var x = clean
        for n in 0..<samples {
            let scale = eps / (drawNorms[n] + 1e-12)
            for j in 0..<width {
                let i = n * width + j
                x[i] = Swift.min(Swift.max(clean[i] + scale * draw[i], 0), 1)
            }
        }

        var here = try oracle.evaluate(x, restart: restart, iteration: 0, withGradient: true)
        var gradient = here.gradient
        var bestX = x, bestGradient = gradient, bestLoss = here.values
        offerSuccesses(x, success: here.success, best: &best)
        observe(batch, restart: restart, iteration: 0, losses: here.values, best: best)

        var stepSize = [Float](repeating: 2 * eps, count: samples)
        var previousX = x
        var lossHistory: [[Float]] = [here.values]   // entry k: the loss at iterate k (0 = start)
        var (interval, minimumInterval, decrement) = checkpointIntervals
        var sinceCheckpoint = 0
        var bestLossAtLastCheckpoint = bestLoss
        var reducedAtLastCheckpoint = [Bool](repeating: true, count: samples)

        for iteration in 0..<steps {
            // Momentum step.
            let weight: Float = iteration > 0 ? APGD.momentum : 1
            let direction = ascentDirection(gradient, width: width, norm: budget.norm)
            var z = x
            for n in 0..<samples {
                for j in 0..<width { z[n * width + j] += stepSize[n] * direction[n * width + j] }
            }
            budget.project(&z, around: clean, width: width)
            var next = x
            for i in next.indices { next[i] = x[i] + (z[i] - x[i]) * weight + (x[i] - previousX[i]) * (1 - weight) }
            budget.project(&next, around: clean, width: width)
            previousX = x
            x = next

            here = try oracle.evaluate(x, restart: restart, iteration: iteration + 1, withGradient: true)
            gradient = here.gradient
            offerSuccesses(x, success: here.success, best: &best)
            observe(batch, restart: restart, iteration: iteration + 1, losses: here.values, best: best)
            lossHistory.append(here.values)
            for n in 0..<samples where here.values[n] > bestLoss[n] {
                bestLoss[n] = here.values[n]
                let range = (n * width)..<((n + 1) * width)
                bestX.replaceSubrange(range, with: x[range])
                bestGradient.replaceSubrange(range, with: gradient[range])
            }

            sinceCheckpoint += 1
            guard sinceCheckpoint == interval else { continue }
            let current = lossHistory.count - 1
            for n in 0..<samples {
                var increases = 0
                for back in 0..<interval where current - back - 1 >= 0 {
                    if lossHistory[current - back][n] > lossHistory[current - back - 1][n] { increases += 1 }
                }
                let oscillating = Float(increases) <= Float(interval) * rho
                let stalled = !reducedAtLastCheckpoint[n] && bestLossAtLastCheckpoint[n] >= bestLoss[n]
                let reduce = oscillating || stalled
                reducedAtLastCheckpoint[n] = reduce
                if reduce {
                    stepSize[n] /= 2
                    let range = (n * width)..<((n + 1) * width)
                    x.replaceSubrange(range, with: bestX[range])
                    gradient.replaceSubrange(range, with: bestGradient[range])
                }
            }
            bestLossAtLastCheckpoint = bestLoss
            interval = Swift.max(interval - decrement, minimumInterval)
            sinceCheckpoint = 0
        }
        // Samples this run did not fool contribute their highest-loss point.
        for n in 0..<samples {
            best.offer(sample: n, point: bestX[(n * width)..<((n + 1) * width)], loss: bestLoss[n], success: false)
        }
    }

    /// Offers the successful samples of `x` (kept once found).
    private func offerSuccesses(_ x: [Float], success: [Bool], best: inout BestPoints) {
        let width = best.width
        for n in success.indices where success[n] {
            best.offer(sample: n, point: x[(n * width)..<((n + 1) * width)], loss: .infinity, success: true)
        }
    }
}
