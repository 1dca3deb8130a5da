import DPLTensor

// MARK: - Per-sample rows

/// One evaluated sample: what the defense said on the clean and on the adversarial input, and
/// how far the adversarial input is from the clean one.
public struct SampleRow: Equatable, Sendable {
    /// The sample's id.
    public let sampleID: UInt64
    /// The true label.
    public let label: Int
    /// The clean verdict's class.
    public let cleanPrediction: Int
    /// The adversarial verdict's class.
    public let adversarialPrediction: Int
    /// Correct on the clean input under the rule.
    public let cleanCorrect: Bool
    /// Correct on the clean input and on the adversarial input under the rule.
    public let robustCorrect: Bool
    /// `‖x' − x‖∞`.
    public let linfDistance: Float
    /// `‖x' − x‖₂`.
    public let l2Distance: Float
    /// The class a targeted attack aimed at; `nil` for an untargeted attack or a sample the
    /// target rule gave no target (see `TargetRule`).
    public var target: Int? = nil
    /// The clean and adversarial verdicts' logits or probabilities when the evaluation was
    /// asked for them (`classify outputs=`); nil otherwise.
    public var outputs: SampleOutputs? = nil

    /// Whether a targeted attack hit its target on this sample under the rule's verdict.
    public var targetHit: Bool { target.map { $0 == adversarialPrediction } ?? false }

    /// A row with every field given (results read back from a file).
    public init(sampleID: UInt64, label: Int, cleanPrediction: Int, adversarialPrediction: Int, cleanCorrect: Bool,
                robustCorrect: Bool, linfDistance: Float, l2Distance: Float, target: Int? = nil,
                outputs: SampleOutputs? = nil) {
        self.sampleID = sampleID
        self.label = label
        self.cleanPrediction = cleanPrediction
        self.adversarialPrediction = adversarialPrediction
        self.cleanCorrect = cleanCorrect
        self.robustCorrect = robustCorrect
        self.linfDistance = linfDistance
        self.l2Distance = l2Distance
        self.target = target
        self.outputs = outputs
    }
}

// MARK: - Result

/// A robustness evaluation: accuracies with Wilson intervals, the settings that produced
/// them, per-sample rows and sanity flags. Results of several batches combine with `merged`.
///
/// Definitions (docs/analyses.md):
/// - clean accuracy = clean-correct / n;
/// - robust accuracy = (clean-correct and adversarial-correct) / n — a sample the defense
///   already gets wrong counts as not robust, as in AutoAttack;
/// - attack success rate = (clean-correct and not adversarial-correct) / clean-correct.
public struct RobustnessResult: Sendable {
    /// The attack's method and settings (`pgd norm=linf eps=…`).
    public var attack: String
    /// The attack's settings as data.
    public var attackSettings: [AttackSetting]
    /// What the attack saw.
    public var threatModel: ThreatModel
    /// The evaluated defense's description (purification seed mode and gradient mode included
    /// by whoever built the defense).
    public var defense: String
    /// The rule of the final verdict.
    public var rule: EvaluationRule
    /// One row per sample, in batch order.
    public var rows: [SampleRow]
    /// Flags raised while attacking or evaluating.
    public var flags: [SanityFlag]
    /// How a targeted attack chose its targets; `nil` for an untargeted attack.
    public var targetRule: TargetRule? = nil

    /// A result with every field given (a batch read back from a journal).
    public init(attack: String, attackSettings: [AttackSetting], threatModel: ThreatModel, defense: String,
                rule: EvaluationRule, rows: [SampleRow], flags: [SanityFlag], targetRule: TargetRule? = nil) {
        self.attack = attack
        self.attackSettings = attackSettings
        self.threatModel = threatModel
        self.defense = defense
        self.rule = rule
        self.rows = rows
        self.flags = flags
        self.targetRule = targetRule
    }

    /// The number of samples.
    public var n: Int { rows.count }
    /// Clean-correct samples out of n.
    public var cleanAccuracy: Proportion { Proportion(rows.filter(\.cleanCorrect).count, of: n) }
    /// Clean- and adversarial-correct samples out of n.
    public var robustAccuracy: Proportion { Proportion(rows.filter(\.robustCorrect).count, of: n) }
    /// Among clean-correct samples, those the attack turned wrong.
    public var attackSuccessRate: Proportion {
        let clean = rows.filter(\.cleanCorrect)
        return Proportion(clean.filter { !$0.robustCorrect }.count, of: clean.count)
    }

    /// Targeted attacks: among clean-correct samples that had a target, those whose
    /// adversarial verdict is the target (the clean verdict is the label, so a hit is the
    /// attack's doing); `nil` for an untargeted attack.
    public var targetedSuccessRate: Proportion? {
        guard targetRule != nil else { return nil }
        let aimed = rows.filter { $0.cleanCorrect && $0.target != nil }
        return Proportion(aimed.filter(\.targetHit).count, of: aimed.count)
    }

    /// This result followed by another batch's, for the same experiment.
    /// - Throws: `AttackError` when the settings, threat model, defense or rule differ, or a
    ///   sample id appears in both.
    public func merged(with other: RobustnessResult) throws -> RobustnessResult {
        guard attack == other.attack, threatModel == other.threatModel, defense == other.defense, rule == other.rule,
              targetRule == other.targetRule else {
            throw AttackError("evaluation", "cannot merge results of different experiments ('\(attack)' on '\(defense)' with \(rule) vs '\(other.attack)' on '\(other.defense)' with \(other.rule))")
        }
        if let mine = rows.first, let theirs = other.rows.first, mine.outputs?.kind != theirs.outputs?.kind {
            let kinds = [mine, theirs].map { $0.outputs.map { "\($0.kind.rawValue)" } ?? "no model outputs" }
            throw AttackError("evaluation", "cannot merge results whose samples carry different model outputs (\(kinds[0]) vs \(kinds[1])); run every part with the same `classify outputs=`")
        }
        let ids = Set(rows.map(\.sampleID))
        if let repeated = other.rows.first(where: { ids.contains($0.sampleID) }) {
            throw AttackError("evaluation", "sample \(repeated.sampleID) appears in both results; each sample may be evaluated once")
        }
        var result = self
        result.rows += other.rows
        for flag in other.flags {
            if let i = result.flags.firstIndex(where: { $0.kind == flag.kind }) {
                let existing = result.flags[i]
                if existing.sampleIDs.isEmpty && flag.sampleIDs.isEmpty { continue }
                let ids = existing.sampleIDs + flag.sampleIDs
                result.flags[i] = SanityFlag(kind: flag.kind, message: SanityFlag.mergedMessage(kind: flag.kind, count: ids.count, n: result.n, fallback: existing.message), sampleIDs: ids)
            } else {
                result.flags.append(flag)
            }
        }
        return result
    }
}

extension SanityFlag {
    /// The flags of consecutive parts of one evaluation (its batches, or the shards of a
    /// sharded run) as one list of `n` samples: kinds in order of first appearance, the sample
    /// ids of a per-sample flag concatenated in part order and its message counted over all `n`.
    /// Combining all batches at once or shard by shard gives the same list.
    public static func combining(_ parts: [[SanityFlag]], n: Int) -> [SanityFlag] {
        var combined: [SanityFlag] = []
        for flag in parts.joined() {
            guard let i = combined.firstIndex(where: { $0.kind == flag.kind }) else {
                combined.append(flag)
                continue
            }
            combined[i] = SanityFlag(kind: flag.kind, message: combined[i].message, sampleIDs: combined[i].sampleIDs + flag.sampleIDs)
        }
        return combined.map { flag in
            flag.sampleIDs.isEmpty ? flag
                : SanityFlag(kind: flag.kind, message: mergedMessage(kind: flag.kind, count: flag.sampleIDs.count, n: n, fallback: flag.message),
                             sampleIDs: flag.sampleIDs)
        }
    }

    /// The message of a per-sample flag after merging batches (counts over the merged n).
    static func mergedMessage(kind: Kind, count: Int, n: Int, fallback: String) -> String {
        switch kind {
        case .zeroGradients:
            return "\(count) of \(n) samples had an input gradient that was exactly zero, a sign of gradient masking or saturated logits; check with a score-based attack (square) or the dlr loss"
        case .nonFiniteGradients:
            return "\(count) of \(n) samples had NaN or infinite input gradients (set to 0 for the step), so the attack could not follow them"
        default:
            return fallback
        }
    }
}

// MARK: - Evaluating an attack

/// Evaluates `adversarial` against `defense` under `rule` and builds the result. For a
/// targeted attack, `targets` holds each sample's target (`nil` where the rule gave none) and
/// `targetRule` how they were chosen; the targets in `batch` itself are not used. With
/// `outputs`, each row keeps both verdicts' logits or probabilities.
///
/// Clean and adversarial verdicts use separate call phases, so with a randomized defense
/// neither reuses a draw the attack optimized against. Under `against=classifier` the attack
/// ran on the classifier but `defense` here is the full pipeline, and `threatModel` says so.
/// `checkCancellation` runs before every call of the defense (each draw of the rule); what it
/// throws ends the evaluation unchanged.
/// - Throws: `AttackError` on shape mismatches, an adversarial input outside `budget` or
///   [0, 1], or errors of the defense.
public func evaluateRobustness(
    batch: AttackBatch, adversarial: Tensor, defense undecorated: Defense, rule: EvaluationRule,
    attack: Attack, threatModel: ThreatModel, flags: [SanityFlag] = [],
    targetRule: TargetRule? = nil, targets: [Int?]? = nil, outputs: VerdictOutputKind? = nil,
    checkCancellation: @escaping () throws -> Void = {}
) throws -> RobustnessResult {
    let defense = undecorated.checkingCancellation(checkCancellation)
    if let targets, targets.count != batch.count {
        throw AttackError("evaluation", "\(targets.count) targets were given for \(batch.count) samples; give one per sample")
    }
    guard adversarial.shape == batch.images.shape else {
        throw AttackError("evaluation", "adversarial images of shape \(adversarial.shape) do not match clean images of shape \(batch.images.shape)")
    }
    try attack.budget.verify(adversarial: adversarial.scalars, clean: batch.images.scalars, width: batch.width,
                             sampleIDs: batch.sampleIDs, attack: attack.name)
    let clean = try verdicts(of: defense, on: batch.images, labels: batch.labels, sampleIDs: batch.sampleIDs,
                             rule: rule, phase: .cleanEvaluation)
    let attacked = try verdicts(of: defense, on: adversarial, labels: batch.labels, sampleIDs: batch.sampleIDs,
                                rule: rule, phase: .adversarialEvaluation)
    let difference = adversarial.scalars.indices.map { adversarial.scalars[$0] - batch.images.scalars[$0] }
    let linf = rowNorms(difference, width: batch.width, norm: .linf)
    let l2 = rowNorms(difference, width: batch.width, norm: .l2)
    var allFlags = flags
    if let flag = SanityFlag.randomnessWithoutEOT(defense: defense, attack: attack),
       threatModel == .endToEnd, !allFlags.contains(where: { $0.kind == .randomnessWithoutEOT }) {
        allFlags.append(flag)
    }
    let rows = batch.labels.indices.map { n in
        SampleRow(sampleID: batch.sampleIDs[n], label: batch.labels[n],
                  cleanPrediction: clean[n].prediction, adversarialPrediction: attacked[n].prediction,
                  cleanCorrect: clean[n].correct, robustCorrect: clean[n].correct && attacked[n].correct,
                  linfDistance: linf[n], l2Distance: l2[n], target: targets?[n],
                  outputs: outputs.map { SampleOutputs(kind: $0, clean: $0.values(of: clean[n]), adversarial: $0.values(of: attacked[n])) })
    }
    return RobustnessResult(attack: attack.settingsDescription, attackSettings: attack.settings,
                            threatModel: threatModel, defense: defense.description, rule: rule,
                            rows: rows, flags: allFlags, targetRule: targetRule)
}
