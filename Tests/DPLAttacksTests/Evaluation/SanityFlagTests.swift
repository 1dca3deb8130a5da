import DPLTensor
import Testing
@testable import DPLAttacks

@Suite struct SanityFlagTests {
    let model = LinearClassifier.binary(w: (0..<16).map { Float($0 % 3) - 1 }, b: 0.2)

    @Test func randomnessWithoutEOTIsFlagged() throws {
        let defense = maskedLinearDefense(model)
        let budget = try AttackBudget(norm: .linf, epsilon: 0.05)
        let once = try runAttack(try PGD(budget: budget, steps: 2, stepSize: 0.02), on: makeBatch(n: 2), against: defense)
        #expect(once.flags.contains { $0.kind == .randomnessWithoutEOT })
        let averaged = try runAttack(try PGD(budget: budget, steps: 2, stepSize: 0.02, eot: 4), on: makeBatch(n: 2), against: defense)
        #expect(!averaged.flags.contains { $0.kind == .randomnessWithoutEOT })
    }

    @Test func zeroGradientsAreFlagged() throws {
        // Logits that do not depend on the input (still connected to it in the graph).
        let constant = Defense(description: "constant", isRandomized: false, gradient: .exact) { x, _, _ in
            try (self.model.logits(x) * 0) + 1
        }
        let run = try runAttack(try FGSM(budget: AttackBudget(norm: .linf, epsilon: 0.05)), on: makeBatch(n: 3), against: constant)
        let flag = run.flags.first { $0.kind == .zeroGradients }
        #expect(flag?.sampleIDs == [100, 101, 102])
        // The step along a zero gradient leaves the images where they were.
        #expect(run.outcome.adversarial.scalars == makeBatch(n: 3).images.scalars)
    }

    @Test func nonFiniteGradientsAreFlaggedAndStepsStayFinite() throws {
        let broken = Defense(description: "nan", isRandomized: false, gradient: .exact) { x, _, _ in
            try self.model.logits(x * Float.nan)
        }
        let run = try runAttack(try PGD(budget: AttackBudget(norm: .linf, epsilon: 0.05), steps: 2, stepSize: 0.02, randomStart: false),
                                on: makeBatch(n: 2), against: broken)
        #expect(run.flags.contains { $0.kind == .nonFiniteGradients })
        #expect(run.outcome.adversarial.scalars.allSatisfy { $0.isFinite })
    }

    func result(_ name: String, robust: [Bool]) -> RobustnessResult {
        RobustnessResult(attack: name, attackSettings: [], threatModel: .endToEnd, defense: "d", rule: .single,
                         rows: robust.enumerated().map { i, r in
                             SampleRow(sampleID: UInt64(i), label: 0, cleanPrediction: 0, adversarialPrediction: r ? 0 : 1,
                                       cleanCorrect: true, robustCorrect: r, linfDistance: 0, l2Distance: 0)
                         }, flags: [])
    }

    @Test func blackBoxBeatingWhiteBoxIsFlagged() throws {
        let white = result("pgd", robust: [true, true, false, true])
        let black = result("square", robust: [true, false, false, true])
        let flag = try SanityFlag.blackBoxBeatsWhiteBox(whiteBox: white, blackBox: black)
        #expect(flag?.kind == .blackBoxBeatsWhiteBox)
        #expect(flag?.sampleIDs == [1])
        #expect(try SanityFlag.blackBoxBeatsWhiteBox(whiteBox: black, blackBox: white) == nil)
        #expect(throws: AttackError.self) {
            try SanityFlag.blackBoxBeatsWhiteBox(whiteBox: white, blackBox: result("square", robust: [true]))
        }
    }

    @Test func accuracyRisingWithEpsilonIsFlagged() {
        let rising = SanityFlag.accuracyRisingWithEpsilon([(0.01, 0.8), (0.03, 0.5), (0.02, 0.6), (0.05, 0.55)])
        #expect(rising?.kind == .accuracyRisesWithEpsilon)
        #expect(SanityFlag.accuracyRisingWithEpsilon([(0.01, 0.8), (0.02, 0.6), (0.03, 0.5)]) == nil)
        #expect(SanityFlag.accuracyRisingWithEpsilon([(0.03, 0.5), (0.05, 0.52)], tolerance: 0.05) == nil)
    }
    @Test func combiningBatchesAtOnceOrShardByShardGivesTheSameFlags() {
        let eot = SanityFlag(kind: .randomnessWithoutEOT, message: "the defense draws fresh randomness")
        func zero(_ ids: [UInt64]) -> SanityFlag {
            SanityFlag(kind: .zeroGradients, message: "\(ids.count) of 4 samples", sampleIDs: ids)
        }
        let batches: [[SanityFlag]] = [[eot], [eot, zero([5])], [eot], [eot, zero([12, 13])]]
        let whole = SanityFlag.combining(batches, n: 16)
        let sharded = SanityFlag.combining([SanityFlag.combining(Array(batches[..<1]), n: 4),
                                            SanityFlag.combining(Array(batches[1...]), n: 12)], n: 16)
        #expect(whole == sharded)
        #expect(whole.map(\.kind) == [.randomnessWithoutEOT, .zeroGradients])
        #expect(whole[1].sampleIDs == [5, 12, 13])
        #expect(whole[1].message.hasPrefix("3 of 16 samples"), "\(whole[1].message)")
    }
}
