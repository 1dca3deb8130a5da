import DPLTensor

// MARK: - Choosing the target class of a targeted attack

/// How a targeted attack picks each sample's target class (`attack … target=…`). A targeted
/// attack succeeds on a sample when the defense predicts the target.
///
/// - `class(N)`: every sample aims at class N. Samples whose label is N have no different class
///   to aim at, so they get no target: they are not attacked, keep their clean verdict, and
///   are left out of the targeted success rate.
/// - `random`: a class other than the label, uniform, drawn from the keyed generator by
///   (seed, purpose `attack.target`, sample id), so a sample's target depends on nothing else
///   (not its batch, nor the other samples, nor the defense).
/// - `leastLikely`: the class other than the label with the lowest logit of the defense on the
///   clean image (its first clean-evaluation draw), the hardest target for that defense.
public enum TargetRule: Equatable, Sendable, CustomStringConvertible {
    /// The same class for every sample.
    case `class`(Int)
    /// A keyed uniform class other than the label.
    case random
    /// The defense's least likely class on the clean image, other than the label.
    case leastLikely

    /// `target=3`, `target=random` or `target=least-likely`, as written in scripts.
    public var description: String {
        switch self {
        case .class(let n): return "target=\(n)"
        case .random: return "target=random"
        case .leastLikely: return "target=least-likely"
        }
    }

    /// The purpose of the keyed draws of `random`.
    public static let randomPurpose: RandomPurpose = "attack.target"

    /// Each sample's target, or `nil` for a sample the rule gives none (its label is the
    /// fixed class).
    ///
    /// `classes` is the defense's class count; `defense` is called (without gradients) only
    /// for `leastLikely`.
    /// - Throws: `AttackError` when N is outside `0..<classes`, when the defense has fewer than
    ///   two classes, or errors of the defense.
    public func targets(for batch: AttackBatch, classes: Int, seed: UInt64, defense: Defense) throws -> [Int?] {
        guard classes >= 2 else {
            throw AttackError("attack", "a targeted attack needs at least 2 classes but the defense has \(classes)")
        }
        switch self {
        case .class(let n):
            guard (0..<classes).contains(n) else {
                throw AttackError("attack", "target=\(n) is not a class of the defense, which has classes 0 to \(classes - 1); give a target in that range")
            }
            return batch.labels.map { $0 == n ? nil : n }
        case .random:
            let key = RandomKey(seed: seed, purpose: Self.randomPurpose)
            return zip(batch.labels, batch.sampleIDs).map { label, id in
                var stream = key.stream(sample: id)
                let draw = stream.nextInt(below: classes - 1)
                return draw < label ? draw : draw + 1   // skip the label: uniform over the others
            }
        case .leastLikely:
            let logits = try withoutGradients {
                try defense.logits(batch.images, sampleIDs: batch.sampleIDs,
                                   call: DefenseCallIndex.make(.cleanEvaluation))
            }
            guard logits.shape[1] == classes else {
                throw AttackError("attack", "the defense returned \(logits.shape[1]) logits per image but has \(classes) classes")
            }
            return batch.labels.indices.map { n in
                let row = logits.scalars[(n * classes)..<((n + 1) * classes)]
                var lowest: Int?
                for (c, z) in zip(0..<classes, row) where c != batch.labels[n] {
                    if let best = lowest, row[row.startIndex + best] <= z { continue }
                    lowest = c
                }
                return lowest
            }
        }
    }

    /// Checks, before any batch runs, that the rule leaves something to attack.
    /// - Throws: `AttackError` when the rule is a fixed class that is the label of every sample.
    public func validate(labels: [Int]) throws {
        if case .class(let n) = self, !labels.isEmpty, labels.allSatisfy({ $0 == n }) {
            throw AttackError("attack", "\(self) equals the label of every sample, so there is nothing to attack; choose another class or use target=random")
        }
    }
}

// MARK: - Running a targeted attack

/// Runs `attack` toward `targets` (one per sample of `batch`, from `TargetRule.targets`): the
/// samples with a target are attacked together as one targeted batch; samples without one are
/// returned unchanged (their adversarial image is the clean image).
/// - Returns: the adversarial images for the whole batch and the run's sanity flags.
/// - Throws: `AttackError` when the counts disagree, or as `runAttack`.
public func runTargetedAttack(_ attack: Attack, on batch: AttackBatch, targets: [Int?],
                              against defense: Defense,
                              checkCancellation: @escaping () throws -> Void = {}) throws -> (adversarial: Tensor, flags: [SanityFlag]) {
    guard targets.count == batch.count else {
        throw AttackError("attack", "\(targets.count) targets were given for \(batch.count) samples; give one per sample")
    }
    let aimed = targets.indices.filter { targets[$0] != nil }
    if aimed.isEmpty { return (batch.images, []) }
    let subset = aimed.count == batch.count ? batch : try AttackBatch(
        images: try batch.images.gather(rows: aimed), labels: aimed.map { batch.labels[$0] },
        sampleIDs: aimed.map { batch.sampleIDs[$0] })
    var targeted = try AttackBatch(images: subset.images, labels: subset.labels, sampleIDs: subset.sampleIDs,
                                   targets: aimed.compactMap { targets[$0] })
    targeted.observeStep = batch.observeStep
    let run = try runAttack(attack, on: targeted, against: defense, checkCancellation: checkCancellation)
    guard aimed.count < batch.count else { return (run.outcome.adversarial, run.flags) }
    var scalars = batch.images.scalars
    let width = batch.width
    let attacked = run.outcome.adversarial.scalars
    for (k, row) in aimed.enumerated() {
        scalars.replaceSubrange((row * width)..<((row + 1) * width), with: attacked[(k * width)..<((k + 1) * width)])
    }
    return (try Tensor(shape: batch.images.shape, scalars: scalars), run.flags)
}

