import Foundation
import DPLTensor

// MARK: - Losses attacks maximize

/// A per-sample loss on logits that an attack maximizes, with its gradient with respect to
/// the logits computed in closed form (the input gradient is then one backward pass through
/// the defense seeded with it).
///
/// Every loss is written so that *larger is better for the attacker*; targeted variants are
/// negated accordingly.
public enum AttackLoss: String, Sendable, CustomStringConvertible {
    /// Cross-entropy of the true label (untargeted) or minus the cross-entropy of the target.
    case crossEntropy = "ce"
    /// The Difference of Logits Ratio (Croce & Hein, 2020):
    /// untargeted `−(z_y − max_{i≠y} z_i) / (z_π1 − z_π3 + 1e-12)`,
    /// targeted `−(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e-12)`, with `z_π1 ≥ z_π2 ≥ …` the
    /// sorted logits. Invariant to shifting and scaling the logits.
    case dlr
    /// Minus the margin: `max_{i≠y} z_i − z_y` (untargeted), `z_t − max_{i≠t} z_i` (targeted).
    /// Positive exactly when the attack succeeds; Square Attack's score.
    case margin

    /// `ce`, `dlr` or `margin`.
    public var description: String { rawValue }

    /// The fewest classes the loss is defined for.
    func minimumClasses(targeted: Bool) -> Int {
        switch self {
        case .crossEntropy, .margin: return 2
        case .dlr: return targeted ? 4 : 3
        }
    }

    /// Per-sample values and the gradient of their sum with respect to the logits.
    /// - Parameters:
    ///   - logits: flat `[N, classes]` values.
    ///   - labels: true labels.
    ///   - targets: target labels for a targeted attack, else nil.
    func evaluate(logits: [Float], classes: Int, labels: [Int], targets: [Int]?) -> (values: [Float], logitGradient: [Float]) {
        let samples = labels.count
        var values = [Float](repeating: 0, count: samples)
        var gradient = [Float](repeating: 0, count: logits.count)
        for n in 0..<samples {
            let base = n * classes
            let z = Array(logits[base..<(base + classes)])
            let (value, g) = perSample(z, label: labels[n], target: targets?[n])
            values[n] = value
            for c in 0..<classes { gradient[base + c] = g[c] }
        }
        return (values, gradient)
    }

    /// One sample's loss and its gradient with respect to its logits.
    private func perSample(_ z: [Float], label y: Int, target: Int?) -> (Float, [Float]) {
        var g = [Float](repeating: 0, count: z.count)
        switch self {
        case .crossEntropy:
            let top = z.max() ?? 0
            var total: Float = 0
            for v in z { total += expf(v - top) }
            let logTotal = top + logf(total)
            let chosen = target ?? y
            let sign: Float = target == nil ? 1 : -1
            for c in z.indices { g[c] = sign * expf(z[c] - logTotal) }
            g[chosen] -= sign
            return (sign * (logTotal - z[chosen]), g)
        case .margin:
            let chosen = target ?? y
            let other = largestIndex(z, excluding: chosen)
            if target == nil {
                g[other] = 1; g[y] = -1
                return (z[other] - z[y], g)
            }
            g[chosen] = 1; g[other] = -1
            return (z[chosen] - z[other], g)
        case .dlr:
            // Sorted descending; ties keep the lower class first so the result is deterministic.
            let order = z.indices.sorted { z[$0] != z[$1] ? z[$0] > z[$1] : $0 < $1 }
            if let t = target {
                let numerator = z[y] - z[t]
                let denominator = z[order[0]] - (z[order[2]] + z[order[3]]) / 2 + 1e-12
                let d2 = denominator * denominator
                g[y] -= 1 / denominator
                g[t] += 1 / denominator
                g[order[0]] += numerator / d2
                g[order[2]] -= numerator / (2 * d2)
                g[order[3]] -= numerator / (2 * d2)
                return (-numerator / denominator, g)
            }
            let other = largestIndex(z, excluding: y)
            let numerator = z[y] - z[other]
            let denominator = z[order[0]] - z[order[2]] + 1e-12
            let d2 = denominator * denominator
            g[y] -= 1 / denominator
            g[other] += 1 / denominator
            g[order[0]] += numerator / d2
            g[order[2]] -= numerator / d2
            return (-numerator / denominator, g)
        }
    }
}

/// The index of the largest value other than `excluded` (the first one on ties).
func largestIndex(_ z: [Float], excluding excluded: Int) -> Int {
    var best = -1
    for c in z.indices where c != excluded && (best < 0 || z[c] > z[best]) { best = c }
    return Swift.max(best, 0)
}

/// The first index of the largest value of each row of flat `[N, classes]` logits.
func rowArgmax(_ logits: [Float], classes: Int) -> [Int] {
    let samples = classes == 0 ? 0 : logits.count / classes
    return (0..<samples).map { n in
        var best = 0
        for c in 1..<Swift.max(classes, 1) where logits[n * classes + c] > logits[n * classes + best] { best = c }
        return best
    }
}
