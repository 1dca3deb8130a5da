import DPLTensor
import Testing
import DPLTestSupport
@testable import DPLAttacks

/// Every attack stays inside its budget and [0, 1], including images with pixels at 0 and 1.
@Suite struct AttackBudgetTests {
    /// Images whose pixels are 0, 1 or random, so projections hit both walls.
    var batch: AttackBatch {
        var random = TestRandom(seed: 9)
        let values = (0..<(4 * 3 * 8 * 8)).map { i -> Float in i % 5 == 0 ? 0 : (i % 7 == 0 ? 1 : random.uniform(0, 1)) }
        return try! AttackBatch(images: Tensor(shape: [4, 3, 8, 8], scalars: values), labels: [0, 1, 2, 3],
                                sampleIDs: [1, 2, 3, 4])
    }
    let model = TinyMLP(features: 3 * 8 * 8, hidden: 16, classes: 4, seed: 5)

    func attacks(_ norm: AttackNorm, eps: Float) throws -> [Attack] {
        let budget = try AttackBudget(norm: norm, epsilon: eps)
        return [
            try FGSM(budget: budget),
            try PGD(budget: budget, steps: 5, stepSize: eps / 2, restarts: 2),
            try APGD(budget: budget, steps: 8, restarts: 1, loss: .dlr),
            try SquareAttack(budget: budget, queries: 30),
        ]
    }

    @Test(arguments: [(AttackNorm.linf, Float(8.0 / 255)), (.l2, 0.5)])
    func attacksNeverExceedTheBudgetOrLeaveTheUnitInterval(norm: AttackNorm, eps: Float) throws {
        for attack in try attacks(norm, eps: eps) {
            let run = try runAttack(attack, on: batch, against: .classifier(model))
            let adversarial = run.outcome.adversarial
            #expect(maxDistance(adversarial, batch.images, norm: norm) <= eps + 1e-5, "\(attack.name)")
            #expect(adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(attack.name)")
        }
    }

    @Test func projectionClipsToTheBallAndTheUnitInterval() throws {
        let budget = try AttackBudget(norm: .l2, epsilon: 1)
        var candidate: [Float] = [3, 4, 0.5, 0.5]
        budget.project(&candidate, around: [0.5, 0.5, 0.5, 0.5], width: 4)
        // (2.5, 3.5) scaled to length 1 is (0.581, 0.814) → (1.081, 1.314) → clipped to 1.
        #expect(candidate == [1, 1, 0.5, 0.5])
    }

    /// An attack that ignores its budget, to check that the runner refuses its output.
    struct RogueAttack: Attack {
        let budget: AttackBudget
        let offset: Float
        var name: String { "rogue" }
        var eotSamples: Int { 1 }
        var needsGradients: Bool { false }
        var settings: [AttackSetting] { [] }
        func perturb(_ batch: AttackBatch, against defense: Defense) throws -> AttackOutcome {
            let moved = batch.images + offset
            let flags = [Bool](repeating: false, count: batch.count)
            return AttackOutcome(adversarial: moved, foundDuringSearch: flags, zeroGradient: flags,
                                 nonFiniteGradient: flags, defenseCalls: 0)
        }
    }

    @Test func anAdversarialInputOutsideTheBudgetIsAnError() throws {
        let inside = makeBatch(n: 2, low: 0.3, high: 0.6)
        let rogue = RogueAttack(budget: try AttackBudget(norm: .linf, epsilon: 0.01), offset: 0.02)
        #expect(throws: AttackError.self) { try runAttack(rogue, on: inside, against: .classifier(model4x4)) }
    }

    @Test func anAdversarialInputOutsideTheUnitIntervalIsAnError() throws {
        let nearOne = makeBatch(n: 2, low: 0.95, high: 1)
        let rogue = RogueAttack(budget: try AttackBudget(norm: .linf, epsilon: 0.1), offset: 0.08)
        do {
            _ = try runAttack(rogue, on: nearOne, against: .classifier(model4x4))
            Issue.record("expected an error")
        } catch let error as AttackError {
            #expect(error.message.contains("outside [0, 1]"))
        }
    }

    @Test func badBudgetsAndCountsAreRejected() throws {
        #expect(throws: AttackError.self) { try AttackBudget(norm: .linf, epsilon: -1) }
        #expect(throws: AttackError.self) { try AttackBudget(norm: .linf, epsilon: .nan) }
        let budget = try AttackBudget(norm: .linf, epsilon: 0.1)
        #expect(throws: AttackError.self) { try PGD(budget: budget, steps: 5, stepSize: 0.1, restarts: 0) }
        #expect(throws: AttackError.self) { try FGSM(budget: budget, eot: 0) }
        #expect(throws: AttackError.self) { try APGD(budget: budget, loss: .margin) }
        #expect(throws: AttackError.self) { try SquareAttack(budget: budget, loss: .dlr) }
    }

    var model4x4: TinyMLP { TinyMLP(features: 16, hidden: 8, classes: 2, seed: 2) }
}
