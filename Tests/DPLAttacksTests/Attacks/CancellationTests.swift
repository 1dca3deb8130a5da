import DPLTensor
import Testing
import DPLTestSupport
@testable import DPLAttacks

/// The cancellation check `runAttack` and `evaluateRobustness` take: polled before every
/// defense call, so a Ctrl-C stops an attack within one iteration, with its error unchanged.
@Suite struct AttackCancellationTests {
    let model = TinyMLP(features: 16, hidden: 8, classes: 3, seed: 4)
    var batch: AttackBatch { makeBatch(n: 4, labels: [0, 1, 2, 0]) }

    /// Defense calls an attack made, counted by a wrapper around the defense.
    final class CallCounter { var calls = 0 }

    func countedDefense(_ counter: CallCounter) -> Defense {
        Defense(description: "counted", isRandomized: false, gradient: .exact) { images, _, _ in
            counter.calls += 1
            return try model.logits(images)
        }
    }

    @Test(arguments: ["fgsm", "pgd", "apgd", "square"])
    func anAttackStopsWithinOneIterationOfTheCheckThrowing(method: String) throws {
        let budget = try AttackBudget(norm: .linf, epsilon: 0.1)
        let attack: Attack
        switch method {
        case "fgsm": attack = try FGSM(budget: budget)
        case "pgd": attack = try PGD(budget: budget, steps: 200, stepSize: 0.01)
        case "apgd": attack = try APGD(budget: budget, steps: 200)
        default: attack = try SquareAttack(budget: budget, queries: 500)
        }
        let counter = CallCounter()
        // Throw on the third check: the one before runAttack starts, then two defense calls.
        let check = CountingCheck(throwingFromCall: 3)
        #expect(throws: Stop.self) {
            try runAttack(attack, on: batch, against: countedDefense(counter), checkCancellation: check.check)
        }
        #expect(check.calls == 3, "the attack went on calling the check after it threw")
        // FGSM makes a single defense call, so it finishes before the third check; the others
        // would make hundreds of calls but stop after the two the check allowed.
        if method == "fgsm" {
            #expect(counter.calls <= 1)
        } else {
            #expect(counter.calls == 1, "\(method) made \(counter.calls) defense calls after the check threw")
        }
    }

    @Test func anUncancelledRunIsUnchangedByTheCheck() throws {
        let attack = try PGD(budget: AttackBudget(norm: .linf, epsilon: 0.1), steps: 5, stepSize: 0.03)
        let plain = try runAttack(attack, on: batch, against: .classifier(model))
        let check = CountingCheck(throwingFromCall: .max)
        let checked = try runAttack(attack, on: batch, against: .classifier(model), checkCancellation: check.check)
        #expect(plain.outcome.adversarial.scalars == checked.outcome.adversarial.scalars)
        // One check before the attack and one per defense call (random start, then 5 steps,
        // plus the final best-point evaluation the attack may make).
        #expect(check.calls >= 1 + 5)
    }

    @Test func anEvaluationStopsWhenTheCheckThrows() throws {
        let attack = try FGSM(budget: AttackBudget(norm: .linf, epsilon: 0.1))
        let run = try runAttack(attack, on: batch, against: .classifier(model))
        let counter = CallCounter()
        let check = CountingCheck(throwingFromCall: 2)
        #expect(throws: Stop.self) {
            try evaluateRobustness(batch: batch, adversarial: run.outcome.adversarial, defense: countedDefense(counter),
                                   rule: .single, attack: attack, threatModel: .endToEnd, checkCancellation: check.check)
        }
        #expect(counter.calls == 1, "the adversarial evaluation ran after the check threw")
        // The earlier result is untouched by the cancelled evaluation.
        #expect(run.outcome.adversarial.shape == batch.images.shape)
    }
}
