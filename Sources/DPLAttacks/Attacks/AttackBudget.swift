import Foundation

// MARK: - Norms and budgets

/// The norm that bounds a perturbation.
public enum AttackNorm: String, Sendable, CustomStringConvertible {
    /// The largest absolute pixel change.
    case linf
    /// The Euclidean length of the change over all of a sample's pixels.
    case l2

    /// `linf` or `l2`.
    public var description: String { rawValue }
}

/// A perturbation budget: every adversarial input `x'` of clean input `x` satisfies
/// `‖x' − x‖ ≤ epsilon` in `norm`, and `0 ≤ x' ≤ 1`.
public struct AttackBudget: Sendable, CustomStringConvertible {
    /// The norm of the ball.
    public let norm: AttackNorm
    /// The radius of the ball.
    public let epsilon: Float

    /// Slack allowed by `verify` for float rounding: `(x + ε) − x` can exceed `ε` by an ulp of
    /// the pixel scale (~6e-8 at 1), so 1e-6 absolute for L∞ and 1e-5 relative for L2.
    public static let linfTolerance: Float = 1e-6, l2RelativeTolerance: Float = 1e-5

    /// A budget of radius `epsilon` in `norm`.
    /// - Throws: `AttackError` when epsilon is negative or not finite.
    public init(norm: AttackNorm, epsilon: Float) throws {
        guard epsilon.isFinite, epsilon >= 0 else {
            throw AttackError("budget", "eps=\(epsilon) is not a non-negative number; give eps such as 8/255")
        }
        self.norm = norm
        self.epsilon = epsilon
    }

    /// `linf eps=0.0314`.
    public var description: String { "\(norm) eps=\(epsilon)" }

    // MARK: Projection

    /// Moves each sample of `candidate` (flat, `width` values per sample) into the ball around
    /// the matching sample of `clean` and then into [0, 1].
    ///
    /// L∞: clip each coordinate to `[x − ε, x + ε] ∩ [0, 1]` (the exact projection). L2: scale
    /// the difference to length ≤ ε, then clip to [0, 1]; clipping moves every coordinate
    /// towards `x` (which is in [0, 1]), so the result stays in the ball (feasible, as
    /// AutoAttack does, though not the exact projection onto the intersection).
    public func project(_ candidate: inout [Float], around clean: [Float], width: Int) {
        let samples = width == 0 ? 0 : clean.count / width
        switch norm {
        case .linf:
            for i in 0..<candidate.count {
                let x = clean[i]
                let v = Swift.min(Swift.max(candidate[i], x - epsilon), x + epsilon)
                candidate[i] = Swift.min(Swift.max(v, 0), 1)
            }
        case .l2:
            for n in 0..<samples {
                let base = n * width
                var total: Float = 0
                for j in 0..<width { let d = candidate[base + j] - clean[base + j]; total += d * d }
                let length = total.squareRoot()
                let scale: Float = length > epsilon ? epsilon / length : 1
                for j in 0..<width {
                    let x = clean[base + j]
                    let v = x + (candidate[base + j] - x) * scale
                    candidate[base + j] = Swift.min(Swift.max(v, 0), 1)
                }
            }
        }
    }

    // MARK: Verification

    /// Checks every adversarial sample: inside the ball (up to the rounding tolerance) and
    /// inside [0, 1], with finite values.
    /// - Throws: `AttackError` naming the first bad sample and by how much it is off; this is
    ///   an error, not a flag, because a result from an out-of-budget input is meaningless.
    public func verify(adversarial: [Float], clean: [Float], width: Int, sampleIDs: [UInt64], attack: String) throws {
        guard adversarial.count == clean.count else {
            throw AttackError("budget check", "\(attack) returned \(adversarial.count) values for \(clean.count) clean values")
        }
        for n in 0..<sampleIDs.count {
            let base = n * width
            var linf: Float = 0, squares: Float = 0
            for j in 0..<width {
                let v = adversarial[base + j]
                guard v.isFinite, v >= 0, v <= 1 else {
                    throw AttackError("budget check", "\(attack) produced the value \(v) outside [0, 1] in sample \(sampleIDs[n]); the attack's projection is broken")
                }
                let d = v - clean[base + j]
                linf = Swift.max(linf, Swift.abs(d))
                squares += d * d
            }
            let size = norm == .linf ? linf : squares.squareRoot()
            let limit = norm == .linf ? epsilon + AttackBudget.linfTolerance
                                      : epsilon * (1 + AttackBudget.l2RelativeTolerance) + AttackBudget.linfTolerance
            if size > limit {
                throw AttackError("budget check", "\(attack) moved sample \(sampleIDs[n]) by \(size) in \(norm), over the budget eps=\(epsilon); the attack's projection is broken")
            }
        }
    }
}

// MARK: - Per-sample helpers on flat arrays

/// Per-sample norms of flat rows of `width` values.
func rowNorms(_ values: [Float], width: Int, norm: AttackNorm) -> [Float] {
    let samples = width == 0 ? 0 : values.count / width
    return (0..<samples).map { n in
        var total: Float = 0
        for j in 0..<width {
            let v = values[n * width + j]
            if norm == .linf { total = Swift.max(total, Swift.abs(v)) } else { total += v * v }
        }
        return norm == .linf ? total : total.squareRoot()
    }
}
