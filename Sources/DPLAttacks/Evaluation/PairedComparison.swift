import Foundation
import DPLTensor

// MARK: - Paired comparison of two evaluations of the same samples

/// Robust accuracy of two defenses (or two settings of one) compared sample by sample, when
/// both were evaluated on the same samples: the question "does fresh randomness beat fixed
/// randomness?" is a paired one, and two overlapping Wilson intervals answer it badly — most
/// samples are robust (or not) under both, and only the discordant ones carry information.
///
/// Each side may hold several replicates: evaluations that differ only in a nuisance choice,
/// such as the key of a fixed-noise purifier (`seed=1…5`). A fixed-noise defense is itself
/// one draw of the noise, so its robustness is reported over keys: per sample, a side's score
/// is the fraction of its replicates under which the sample stayed robust, and the comparison
/// is of the mean scores.
///
/// - The difference `b − a` of mean robust accuracy gets a 95% paired bootstrap interval
///   (percentile method, Efron & Tibshirani 1993, ch. 13): samples are resampled with
///   replacement, keeping each sample's pair together. The resampling is keyed, so the
///   interval is the same on every run and machine.
/// - The exact sign test on the samples whose scores differ: with one replicate per side it is
///   exactly McNemar's exact test (McNemar 1947; the binomial form, Fagerland et al. 2013).
public struct PairedComparison: Sendable {
    /// Samples present on both sides.
    public let n: Int
    /// Robust accuracy of each replicate of side a, in the order given.
    public let replicatesA: [Double]
    /// Robust accuracy of each replicate of side b, in the order given.
    public let replicatesB: [Double]
    /// Samples whose score is higher under a (with one replicate each: robust only under a).
    public let favoursA: Int
    /// Samples whose score is higher under b.
    public let favoursB: Int
    /// Mean robust accuracy of b minus that of a.
    public let difference: Double
    /// The 95% paired bootstrap interval of `difference`.
    public let interval: (lower: Double, upper: Double)
    /// Two-sided exact sign-test (McNemar) p-value for "a and b are equally robust".
    public let pValue: Double
    /// Bootstrap resamples behind `interval`.
    public let resamples: Int

    /// Mean robust accuracy over a's replicates.
    public var meanA: Double { mean(replicatesA) }
    /// Mean robust accuracy over b's replicates.
    public var meanB: Double { mean(replicatesB) }
    /// Sample standard deviation of a's replicates (0 for one replicate): the spread across keys.
    public var spreadA: Double { standardDeviation(replicatesA) }
    /// Sample standard deviation of b's replicates.
    public var spreadB: Double { standardDeviation(replicatesB) }

    /// Compares `a` and `b`: each a list of replicates, each replicate one robust verdict per
    /// sample in the same sample order on both sides.
    /// - Parameters:
    ///   - seed: keys the bootstrap resampling.
    ///   - resamples: bootstrap resamples (10 000 gives the interval's ends to about ±0.3 points).
    /// - Throws: `AttackError` when a side has no replicate, no samples, or replicates of
    ///   different lengths.
    public init(a: [[Bool]], b: [[Bool]], seed: UInt64 = 0, resamples: Int = 10_000) throws {
        guard let first = a.first, !b.isEmpty else {
            throw AttackError("compare", "each side needs at least one evaluation; name results that exist")
        }
        let n = first.count
        guard n > 0 else { throw AttackError("compare", "the evaluations share no samples; compare results of the same images") }
        guard (a + b).allSatisfy({ $0.count == n }) else {
            throw AttackError("compare", "the evaluations have different numbers of samples; compare results of the same images")
        }
        guard resamples >= 1 else { throw AttackError("compare", "resamples is \(resamples); give at least 1") }
        // Per sample, score b − score a in units of 1/(|a|·|b|): integers, so every sum below
        // is exact and a difference of zero prints as 0, not as 1e-18.
        let robustA = PairedComparison.robustCounts(a, n: n), robustB = PairedComparison.robustCounts(b, n: n)
        let differences = (0..<n).map { robustB[$0] * a.count - robustA[$0] * b.count }
        let unit = Double(a.count * b.count)
        self.n = n
        replicatesA = a.map { Double($0.filter { $0 }.count) / Double(n) }
        replicatesB = b.map { Double($0.filter { $0 }.count) / Double(n) }
        favoursA = differences.filter { $0 < 0 }.count
        favoursB = differences.filter { $0 > 0 }.count
        difference = Double(differences.reduce(0, +)) / (Double(n) * unit)
        pValue = PairedComparison.signTestPValue(favoursA, favoursB)
        self.resamples = resamples
        let bounds = PairedComparison.bootstrapInterval(differences, seed: seed, resamples: resamples)
        interval = (bounds.lower / unit, bounds.upper / unit)
    }

    /// Per sample, under how many replicates it stayed robust.
    private static func robustCounts(_ replicates: [[Bool]], n: Int) -> [Int] {
        (0..<n).map { i in replicates.filter { $0[i] }.count }
    }

    /// Two-sided exact binomial test of `k` successes in `k + m` fair trials:
    /// `min(1, 2 · P(X ≤ min(k, m)))`, X ~ Binomial(k + m, ½); 1 when there are no trials.
    public static func signTestPValue(_ k: Int, _ m: Int) -> Double {
        let trials = k + m
        guard trials > 0 else { return 1 }
        let tail = Swift.min(k, m)
        // Terms in log space: C(trials, i) overflows a Double past about 1 000 trials.
        let logHalf = Double(trials) * Foundation.log(0.5)
        let logFactorialTrials = logGamma(Double(trials) + 1)
        var sum = 0.0
        for i in 0...tail {
            let logChoose = logFactorialTrials - logGamma(Double(i) + 1) - logGamma(Double(trials - i) + 1)
            sum += Foundation.exp(logChoose + logHalf)
        }
        return Swift.min(1, 2 * sum)
    }

    /// The 2.5% and 97.5% percentiles of the mean of `values` over keyed resamples.
    static func bootstrapInterval(_ values: [Int], seed: UInt64, resamples: Int) -> (lower: Double, upper: Double) {
        let n = values.count
        var stream = RandomKey(seed: seed, purpose: "compare.bootstrap").stream(sample: 0)
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var sum = 0
            for _ in 0..<n { sum += values[stream.nextInt(below: n)] }
            means[r] = Double(sum) / Double(n)
        }
        means.sort()
        func quantile(_ q: Double) -> Double {
            // Type-7 quantile (linear interpolation), numpy's and R's default.
            let position = q * Double(resamples - 1)
            let low = Int(position.rounded(.down)), high = Swift.min(low + 1, resamples - 1)
            return means[low] + (position - Double(low)) * (means[high] - means[low])
        }
        return (quantile(0.025), quantile(0.975))
    }

    private func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    private func standardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let m = mean(values)
        return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
}

/// log Γ(x) for x > 0 (Glibc's `lgamma`, named through Foundation's Double overload once).
private func logGamma(_ x: Double) -> Double {
    let value: Double = Foundation.lgamma(x)
    return value
}
