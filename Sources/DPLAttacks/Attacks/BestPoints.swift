// MARK: - Which iterates an attack may return

/// Which of an iterative attack's points it returns per sample.
///
/// Against a deterministic defense the two agree whenever the search finds a success, and
/// `best` can only be stronger. Against a randomized defense they differ: `best` keeps the
/// first point whose EOT-averaged logits were misclassified during the search (or the highest
/// loss seen), which favours points where the search's own draws were lucky for the attacker;
/// `last` returns where the optimization ended, as many published evaluations of randomized
/// defenses do. Reports name the rule (`keep=best`), so a reader knows which was used.
public enum IterateRule: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The first successful iterate, else the highest-loss one (across restarts, the union of
    /// successes, as AutoAttack does).
    case best
    /// Each restart's final iterate; across restarts the best of those.
    case last

    /// `best` or `last`.
    public var description: String { rawValue }
}

// MARK: - The best point per sample across steps and restarts

/// Keeps, per sample, the point an attack will return: the first point found that succeeds
/// (misclassified, or the target hit) — kept from then on — and until then the point of
/// highest loss. Across restarts this is the union of successes, as in AutoAttack, and for
/// samples never fooled the strongest point, which matters for a randomized defense whose
/// final verdict uses fresh draws.
struct BestPoints {
    private(set) var points: [Float]
    private(set) var losses: [Float]
    private(set) var found: [Bool]
    let width: Int

    /// Starts at the clean images with loss −∞.
    init(clean: [Float], samples: Int) {
        points = clean
        losses = Array(repeating: -.infinity, count: samples)
        found = Array(repeating: false, count: samples)
        width = samples == 0 ? 0 : clean.count / samples
    }

    /// Offers the points `candidate` with their losses and successes.
    mutating func offer(_ candidate: [Float], losses candidateLosses: [Float], success: [Bool]) {
        for n in 0..<found.count where !found[n] {
            if success[n] || candidateLosses[n] > losses[n] {
                found[n] = success[n]
                losses[n] = candidateLosses[n]
                let range = (n * width)..<((n + 1) * width)
                points.replaceSubrange(range, with: candidate[range])
            }
        }
    }

    /// Offers one sample's point (used by APGD, which tracks successes and losses separately).
    mutating func offer(sample n: Int, point: ArraySlice<Float>, loss: Float, success: Bool) {
        guard !found[n], success || loss > losses[n] else { return }
        found[n] = success
        losses[n] = loss
        points.replaceSubrange((n * width)..<((n + 1) * width), with: point)
    }
}

// MARK: - Step directions

/// The steepest-ascent direction of unit `norm` per sample: `sign(g)` for L∞, `g / ‖g‖₂` for
/// L2 (0 for a zero gradient).
func ascentDirection(_ gradient: [Float], width: Int, norm: AttackNorm) -> [Float] {
    switch norm {
    case .linf:
        return gradient.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
    case .l2:
        let norms = rowNorms(gradient, width: width, norm: .l2)
        var out = gradient
        for n in norms.indices {
            let scale: Float = norms[n] > 0 ? 1 / norms[n] : 0
            for j in 0..<width { out[n * width + j] *= scale }
        }
        return out
    }
}
