// MARK: - Sanity flags

/// A warning that a robustness number may be too optimistic, in the spirit of AutoAttack's
/// checks (Croce & Hein, 2020): as data (`kind`, counts) and as a message for the report.
/// An adversarial input outside the budget or [0, 1] is not a flag but an `AttackError`.
public struct SanityFlag: Equatable, Sendable, CustomStringConvertible {
    /// Which check fired.
    public enum Kind: String, Sendable {
        /// A randomized defense attacked with one call per gradient (eot=1).
        case randomnessWithoutEOT = "randomness-without-eot"
        /// Some samples had an identically zero input gradient (gradient masking or saturation).
        case zeroGradients = "zero-gradients"
        /// Some samples had a NaN or infinite input gradient.
        case nonFiniteGradients = "non-finite-gradients"
        /// A score-based attack beat a gradient-based one on the same samples.
        case blackBoxBeatsWhiteBox = "black-box-beats-white-box"
        /// Robust accuracy rose as eps grew in a sweep.
        case accuracyRisesWithEpsilon = "accuracy-rises-with-eps"
    }

    /// Which check fired.
    public let kind: Kind
    /// The plain-sentence explanation printed with the result.
    public let message: String
    /// The sample ids concerned, where the check is per sample.
    public let sampleIDs: [UInt64]

    /// A flag.
    public init(kind: Kind, message: String, sampleIDs: [UInt64] = []) {
        self.kind = kind
        self.message = message
        self.sampleIDs = sampleIDs
    }

    /// `warning [kind]: message`.
    public var description: String { "warning [\(kind.rawValue)]: \(message)" }

    // MARK: Checks one attack run can make

    /// Flags a randomized defense attacked without averaging over its randomness.
    public static func randomnessWithoutEOT(defense: Defense, attack: Attack) -> SanityFlag? {
        guard defense.isRandomized, attack.eotSamples == 1 else { return nil }
        return SanityFlag(kind: .randomnessWithoutEOT,
                          message: "the defense draws fresh randomness per call but \(attack.name) used eot=1, so each step followed one noisy draw; use eot=K (e.g. eot=10) for an adaptive evaluation")
    }

    /// Flags samples whose input gradient was ever identically zero or non-finite.
    public static func gradientProblems(_ outcome: AttackOutcome, sampleIDs: [UInt64]) -> [SanityFlag]? {
        var flags: [SanityFlag] = []
        let zero = sampleIDs.indices.filter { outcome.zeroGradient[$0] }.map { sampleIDs[$0] }
        if !zero.isEmpty {
            flags.append(SanityFlag(kind: .zeroGradients,
                                    message: "\(zero.count) of \(sampleIDs.count) samples had an input gradient that was exactly zero, a sign of gradient masking or saturated logits; check with a score-based attack (square) or the dlr loss",
                                    sampleIDs: zero))
        }
        let bad = sampleIDs.indices.filter { outcome.nonFiniteGradient[$0] }.map { sampleIDs[$0] }
        if !bad.isEmpty {
            flags.append(SanityFlag(kind: .nonFiniteGradients,
                                    message: "\(bad.count) of \(sampleIDs.count) samples had NaN or infinite input gradients (set to 0 for the step), so the attack could not follow them",
                                    sampleIDs: bad))
        }
        return flags.isEmpty ? nil : flags
    }

    // MARK: Checks across results

    /// Flags a black-box (score-based) attack that succeeded on samples where the white-box
    /// (gradient-based) attack failed, which means the gradients the white-box attack followed
    /// were misleading (gradient masking) and its number is too optimistic.
    /// - Throws: `AttackError` when the two results are not on the same samples.
    public static func blackBoxBeatsWhiteBox(whiteBox: RobustnessResult, blackBox: RobustnessResult) throws -> SanityFlag? {
        let white = Dictionary(uniqueKeysWithValues: whiteBox.rows.map { ($0.sampleID, $0) })
        guard white.count == blackBox.rows.count, blackBox.rows.allSatisfy({ white[$0.sampleID] != nil }) else {
            throw AttackError("sanity check", "the white-box and black-box results cover different samples; compare results on the same sample ids")
        }
        let beaten = blackBox.rows.filter { row in
            row.cleanCorrect && !row.robustCorrect && (white[row.sampleID]?.robustCorrect ?? false)
        }.map(\.sampleID)
        guard blackBox.robustAccuracy.successes < whiteBox.robustAccuracy.successes || !beaten.isEmpty else { return nil }
        return SanityFlag(kind: .blackBoxBeatsWhiteBox,
                          message: "the black-box attack (\(blackBox.attack)) fooled \(beaten.count) samples the white-box attack (\(whiteBox.attack)) did not; robust accuracy \(blackBox.robustAccuracy.formatted) vs \(whiteBox.robustAccuracy.formatted), so the white-box gradients are unreliable (gradient masking)",
                          sampleIDs: beaten)
    }

    /// Flags a sweep in which robust accuracy is higher at a larger eps than at a smaller one
    /// by more than `tolerance` (a larger ball contains the smaller one, so a sound attack
    /// cannot do worse; with a randomized defense, allow for the sampling noise).
    public static func accuracyRisingWithEpsilon(_ series: [(epsilon: Float, robustAccuracy: Double)], tolerance: Double = 0) -> SanityFlag? {
        let sorted = series.sorted { $0.epsilon < $1.epsilon }
        for i in sorted.indices {
            for j in sorted.indices where j > i && sorted[j].epsilon > sorted[i].epsilon {
                if sorted[j].robustAccuracy > sorted[i].robustAccuracy + tolerance {
                    return SanityFlag(kind: .accuracyRisesWithEpsilon,
                                      message: "robust accuracy rises from \(sorted[i].robustAccuracy) at eps=\(sorted[i].epsilon) to \(sorted[j].robustAccuracy) at eps=\(sorted[j].epsilon); the attack is failing to use its larger budget (more steps, restarts or EOT may fix it)")
                }
            }
        }
        return nil
    }
}
