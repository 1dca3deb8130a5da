import Testing
@testable import DPLAttacks

/// The paired comparison behind `compare`: McNemar's exact test against hand-computed
/// binomial tails, the bootstrap interval's determinism and coverage of known cases, and the
/// averaging over replicates (fixed-noise keys).
@Suite struct PairedComparisonTests {
    @Test func signTestMatchesTheBinomialTail() {
        // 2 vs 7 discordant: 2 · (C(9,0) + C(9,1) + C(9,2)) / 2⁹ = 92/512.
        #expect(abs(PairedComparison.signTestPValue(2, 7) - 92.0 / 512.0) < 1e-12)
        #expect(abs(PairedComparison.signTestPValue(7, 2) - 92.0 / 512.0) < 1e-12)
        #expect(abs(PairedComparison.signTestPValue(0, 5) - 2.0 / 32.0) < 1e-12)
        #expect(PairedComparison.signTestPValue(0, 0) == 1)
        #expect(PairedComparison.signTestPValue(3, 3) == 1, "a symmetric split is capped at 1")
        // Thousands of trials stay finite (log-space terms) and tiny for a lopsided split.
        let p = PairedComparison.signTestPValue(400, 600)
        #expect(p > 0 && p < 1e-9)
        #expect(PairedComparison.signTestPValue(1000, 1000) == 1)
    }

    @Test func oneReplicateEachIsMcNemar() throws {
        // 10 samples: robust under both (4), only a (1), only b (3), neither (2).
        let a = [true, true, true, true, true, false, false, false, false, false]
        let b = [true, true, true, true, false, true, true, true, false, false]
        let c = try PairedComparison(a: [a], b: [b])
        #expect(c.n == 10 && c.favoursA == 1 && c.favoursB == 3)
        #expect(c.meanA == 0.5 && c.meanB == 0.7)
        #expect(abs(c.difference - 0.2) < 1e-12)
        #expect(abs(c.pValue - PairedComparison.signTestPValue(1, 3)) < 1e-12)
        #expect(c.interval.lower <= c.difference && c.difference <= c.interval.upper)
        #expect(c.spreadA == 0 && c.spreadB == 0)
    }

    @Test func replicatesAreAveragedPerSample() throws {
        // Side a has two keys; sample 0 is robust under one of them (score 0.5).
        let c = try PairedComparison(a: [[true, false], [false, false]], b: [[true, true]])
        #expect(c.meanA == 0.25 && c.meanB == 1)
        #expect(c.difference == 0.75)
        #expect(c.favoursB == 2 && c.favoursA == 0)
        #expect(abs(c.spreadA - (0.125 as Double).squareRoot()) < 1e-12, "sd of [0.5, 0] is √0.125")
        #expect(c.replicatesA == [0.5, 0])
    }

    @Test func bootstrapIsKeyedAndDegeneratesWhenEverySampleAgrees() throws {
        let a = (0..<50).map { $0 % 3 == 0 }, b = (0..<50).map { $0 % 2 == 0 }
        let first = try PairedComparison(a: [a], b: [b], seed: 7)
        let again = try PairedComparison(a: [a], b: [b], seed: 7)
        #expect(first.interval == again.interval)
        let other = try PairedComparison(a: [a], b: [b], seed: 8)
        #expect(other.interval != first.interval)
        // Identical sides: every resample's difference is 0.
        let same = try PairedComparison(a: [a], b: [a])
        #expect(same.interval.lower == 0 && same.interval.upper == 0 && same.pValue == 1)
    }

    @Test func badInputIsAnError() {
        #expect(throws: AttackError.self) { try PairedComparison(a: [], b: [[true]]) }
        #expect(throws: AttackError.self) { try PairedComparison(a: [[]], b: [[]]) }
        #expect(throws: AttackError.self) { try PairedComparison(a: [[true, false]], b: [[true]]) }
    }
}
