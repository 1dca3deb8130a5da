import Foundation

// MARK: - Proportions with Wilson intervals

/// A count of successes out of a total, with its 95% Wilson score interval.
///
/// Wilson (1927) rather than the normal approximation `p ± z·√(p(1−p)/n)`: it stays inside
/// [0, 1], is not degenerate at 0/n or n/n, and has close to nominal coverage for the small
/// n of adversarial evaluations (Brown, Cai & DasGupta, 2001).
public struct Proportion: Equatable, Sendable, CustomStringConvertible {
    /// The number of successes.
    public let successes: Int
    /// The number of trials.
    public let total: Int

    /// The two-sided 95% normal quantile, z = Φ⁻¹(0.975).
    public static let z95 = 1.959963984540054

    /// `successes` out of `total`.
    public init(_ successes: Int, of total: Int) {
        self.successes = successes
        self.total = total
    }

    /// `successes / total`, or nil when there were no trials.
    public var estimate: Double? { total == 0 ? nil : Double(successes) / Double(total) }

    /// The 95% Wilson score interval
    /// `(p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)`; [0, 1] when `total` is 0 (no
    /// information).
    public var wilson95: (lower: Double, upper: Double) { wilson(z: Proportion.z95) }

    /// The Wilson score interval for the normal quantile `z`.
    public func wilson(z: Double) -> (lower: Double, upper: Double) {
        guard total > 0 else { return (0, 1) }
        let n = Double(total), p = Double(successes) / n, z2 = z * z
        let denominator = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return (Swift.max(0, center - half), Swift.min(1, center + half))
    }

    /// `80.0% [49.0, 94.3] (8/10)`, or `– (0/0)` without trials.
    public var formatted: String {
        guard let p = estimate else { return "– (0/0)" }
        let (low, high) = wilson95
        return String(format: "%.1f%% [%.1f, %.1f] (%d/%d)", p * 100, low * 100, high * 100, successes, total)
    }

    /// Same as `formatted`.
    public var description: String { formatted }

    /// This proportion plus another over disjoint trials.
    public static func + (a: Proportion, b: Proportion) -> Proportion {
        Proportion(a.successes + b.successes, of: a.total + b.total)
    }
}
