import Testing
@testable import DPLAttacks

@Suite struct ProportionTests {
    @Test func wilsonIntervalsMatchKnownValues() {
        let eightOfTen = Proportion(8, of: 10).wilson95
        #expect(abs(eightOfTen.lower - 0.4902) < 5e-4)
        #expect(abs(eightOfTen.upper - 0.9433) < 5e-4)
        // 0/10 and 10/10: one bound at the wall, the other at 10/(10 + z²) ≈ 0.7225.
        let none = Proportion(0, of: 10).wilson95, all = Proportion(10, of: 10).wilson95
        #expect(none.lower == 0 && abs(none.upper - 0.2775) < 5e-4)
        #expect(abs(all.upper - 1) < 1e-12 && abs(all.lower - 0.7225) < 5e-4)
        // 50/100: [0.404, 0.596].
        let half = Proportion(50, of: 100).wilson95
        #expect(abs(half.lower - 0.4038) < 5e-4 && abs(half.upper - 0.5962) < 5e-4)
    }

    @Test func noTrialsGiveNoEstimateAndTheWholeInterval() {
        let empty = Proportion(0, of: 0)
        #expect(empty.estimate == nil)
        #expect(empty.wilson95 == (0, 1))
        #expect(empty.formatted == "– (0/0)")
    }

    @Test func formattingAndAddition() {
        #expect(Proportion(8, of: 10).formatted == "80.0% [49.0, 94.3] (8/10)")
        #expect(Proportion(3, of: 4) + Proportion(5, of: 6) == Proportion(8, of: 10))
    }
}
