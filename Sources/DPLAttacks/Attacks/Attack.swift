import DPLTensor

// MARK: - What an attack receives

/// A batch to attack: clean images in [0, 1], their true labels and sample ids, and for a
/// targeted attack one target label per sample.
public struct AttackBatch {
    /// Clean images `[N, C, H, W]` in [0, 1].
    public let images: Tensor
    /// True labels.
    public let labels: [Int]
    /// Sample ids: every random draw of the attack and the defense is keyed by them.
    public let sampleIDs: [UInt64]
    /// Target labels (targeted attack) or nil (untargeted).
    public let targets: [Int]?
    /// Told where the attack is after every iterate (for progress lines); it only observes.
    public var observeStep: ((AttackStep) -> Void)?

    /// A batch, checked for consistent sizes and values in [0, 1].
    /// - Throws: `AttackError` when the counts disagree, the images are not `[N, C, H, W]`,
    ///   a pixel is outside [0, 1], or a target equals its sample's label.
    public init(images: Tensor, labels: [Int], sampleIDs: [UInt64], targets: [Int]? = nil) throws {
        guard images.rank == 4 else {
            throw AttackError("attack", "images of shape \(images.shape) must be [N, C, H, W]")
        }
        let n = images.shape[0]
        guard labels.count == n, sampleIDs.count == n else {
            throw AttackError("attack", "\(n) images came with \(labels.count) labels and \(sampleIDs.count) sample ids; give one of each per image")
        }
        if let targets {
            guard targets.count == n else {
                throw AttackError("attack", "\(targets.count) target labels were given for \(n) images; give one per image")
            }
            if let i = (0..<n).first(where: { targets[$0] == labels[$0] }) {
                throw AttackError("attack", "sample \(sampleIDs[i]) has target \(targets[i]) equal to its label; a targeted attack needs a different class")
            }
        }
        if let bad = images.scalars.first(where: { !($0 >= 0 && $0 <= 1) }) {
            throw AttackError("attack", "the clean images contain the value \(bad) outside [0, 1]; attacks work on images scaled to [0, 1]")
        }
        self.images = images.detached()
        self.labels = labels
        self.sampleIDs = sampleIDs
        self.targets = targets
    }

    /// The number of samples.
    public var count: Int { labels.count }
    /// Values per sample.
    var width: Int { count == 0 ? 0 : images.count / count }
    /// Whether the attack aims at given classes.
    public var isTargeted: Bool { targets != nil }
}

// MARK: - Where an attack is

/// Where an attack is within one batch, after an iterate: what a progress line shows
/// (`restart 1/1 step 7/11, loss 1.42, fooled 5/64`).
public struct AttackStep: Sendable, Equatable {
    /// The restart (0-based) and how many there are.
    public let restart: Int
    public let restarts: Int
    /// The iterate within the restart (0: the start point) and how many a restart evaluates
    /// at most (a restart may end early when every sample is fooled).
    public let iteration: Int
    public let iterations: Int
    /// The attack's loss (Square: its score) at this iterate, averaged over the batch.
    public let meanLoss: Float
    /// Samples the search has fooled so far, on the attack's own draws.
    public let fooled: Int
    /// Samples in the batch.
    public let samples: Int

    public init(restart: Int, restarts: Int, iteration: Int, iterations: Int, losses: [Float], fooled: Int, samples: Int) {
        self.restart = restart
        self.restarts = restarts
        self.iteration = iteration
        self.iterations = iterations
        self.meanLoss = losses.isEmpty ? 0 : losses.reduce(0, +) / Float(losses.count)
        self.fooled = fooled
        self.samples = samples
    }

    /// The fraction of the batch's work done, in [0, 1].
    public var completed: Double {
        let total = max(1, restarts * iterations)
        return min(1, Double(restart * iterations + iteration + 1) / Double(total))
    }
}

// MARK: - What an attack returns

/// The result of one attack on one batch.
public struct AttackOutcome {
    /// The adversarial images, same shape as the clean ones, inside the budget and [0, 1].
    public let adversarial: Tensor
    /// Per sample: whether the attack saw a successful (misclassified, or target-hit) point
    /// during its own search. The verdict that counts is the evaluation's, with fresh draws.
    public let foundDuringSearch: [Bool]
    /// Per sample: whether some input gradient the attack used was identically zero.
    public let zeroGradient: [Bool]
    /// Per sample: whether some input gradient had a NaN or infinity (replaced by 0 in steps).
    public let nonFiniteGradient: [Bool]
    /// Forward passes through the defense (each EOT draw counts), for cost reports.
    public let defenseCalls: Int
}

// MARK: - Attack

/// A batched, budgeted attack. Implementations: `FGSM`, `PGD`, `APGD`, `SquareAttack`.
public protocol Attack {
    /// The method's name (`fgsm`, `pgd`, `apgd`, `square`), also its randomness purpose
    /// `attack.<name>`.
    var name: String { get }
    /// The perturbation budget.
    var budget: AttackBudget { get }
    /// Calls averaged per gradient (or per score for Square): EOT's K.
    var eotSamples: Int { get }
    /// Whether the method needs input gradients.
    var needsGradients: Bool { get }
    /// Every setting, in a fixed order, for reports (`eps`, `steps`, `step`, `restarts`, …).
    var settings: [AttackSetting] { get }
    /// Runs the attack on a batch (without the budget check; use `runAttack`).
    func perturb(_ batch: AttackBatch, against defense: Defense) throws -> AttackOutcome
}

/// One named setting of an attack as printed in reports.
public struct AttackSetting: Equatable, Sendable, CustomStringConvertible {
    /// The parameter name as written in scripts.
    public let name: String
    /// Its value as printed.
    public let value: String

    /// A setting.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// `name=value`.
    public var description: String { "\(name)=\(value)" }
}

extension Attack {
    /// `pgd norm=linf eps=0.0314 …`: the method and all its settings.
    public var settingsDescription: String {
        ([name] + settings.map(\.description)).joined(separator: " ")
    }
}

// MARK: - Running an attack

/// An attack's outcome together with the sanity flags it raised.
public struct AttackRun {
    /// The outcome.
    public let outcome: AttackOutcome
    /// Flags about how far the outcome can be trusted (see `SanityFlag`).
    public let flags: [SanityFlag]
}

/// Runs `attack` on `batch` against `defense`, verifies the budget and [0, 1] on every
/// sample, and collects the sanity flags the run can see on its own.
///
/// `checkCancellation` runs before every call of the defense, so at least once per
/// iteration; whatever it throws ends the attack at once and reaches the caller unchanged.
/// - Throws: `AttackError` when the attack needs gradients the defense cannot give, or when an
///   adversarial input is outside the budget or [0, 1] (an error, never a flag).
public func runAttack(_ attack: Attack, on batch: AttackBatch, against defense: Defense,
                      checkCancellation: @escaping () throws -> Void = {}) throws -> AttackRun {
    if attack.needsGradients && defense.gradient == .unavailable {
        throw AttackError(attack.name, "needs gradients but the defense '\(defense.description)' has none; give the defense exact or BPDA gradients, or use the score-based attack square")
    }
    try checkCancellation()
    let outcome = try attack.perturb(batch, against: defense.checkingCancellation(checkCancellation))
    guard outcome.adversarial.shape == batch.images.shape else {
        throw AttackError("budget check", "\(attack.name) returned shape \(outcome.adversarial.shape) for images of shape \(batch.images.shape)")
    }
    try attack.budget.verify(adversarial: outcome.adversarial.scalars, clean: batch.images.scalars,
                             width: batch.width, sampleIDs: batch.sampleIDs, attack: attack.name)
    var flags: [SanityFlag] = []
    if let flag = SanityFlag.randomnessWithoutEOT(defense: defense, attack: attack) { flags.append(flag) }
    if let flag = SanityFlag.gradientProblems(outcome, sampleIDs: batch.sampleIDs) { flags.append(contentsOf: flag) }
    return AttackRun(outcome: outcome, flags: flags)
}
