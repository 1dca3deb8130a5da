import DPLTensor
import Testing
@testable import DPLAttacks

/// `keep=best` against `keep=last` on a binary linear model, where every PGD step moves each
/// pixel by the step size along −sign(w) (class 1) until the ball's edge: the first iterate
/// that crosses the decision boundary is the best point, the end of the search is the last.
@Suite struct IterateRuleTests {
    let w: [Float] = [0.9, -0.4, 0.3, -1.2, 0.5, 0.7, -0.2, 1.1, -0.6, 0.8, -0.9, 0.25, 0.6, -0.35, 0.45, -0.75]
    var defense: Defense { .classifier(LinearClassifier.binary(w: w, b: 0.3)) }
    // Pixels in [0.3, 0.7]: steps of 0.02 up to ε = 0.2 never touch [0, 1]'s walls.
    var batch: AttackBatch { makeBatch(n: 2, labels: [1, 1], low: 0.3, high: 0.7) }

    func pgd(_ keep: IterateRule) throws -> PGD {
        try PGD(budget: AttackBudget(norm: .linf, epsilon: 0.2), steps: 10, stepSize: 0.02, randomStart: false, keep: keep)
    }

    @Test func lastReturnsWhereTheSearchEndedAndBestStopsAtTheFirstSuccess() throws {
        let last = try runAttack(pgd(.last), on: batch, against: defense).outcome
        let best = try runAttack(pgd(.best), on: batch, against: defense).outcome
        let x = batch.images.scalars
        for n in 0..<batch.count {
            for j in 0..<w.count {
                // Ten steps of 0.02 reach the edge of the 0.2 ball.
                let expected = x[n * 16 + j] - 0.2 * (w[j] > 0 ? 1 : -1)
                #expect(abs(last.adversarial.scalars[n * 16 + j] - expected) < 1e-5)
            }
        }
        // Both found a success; the best point is an earlier, smaller perturbation.
        #expect(best.foundDuringSearch == [true, true] && last.foundDuringSearch == [true, true])
        #expect(maxDistance(best.adversarial, batch.images, norm: .linf) < 0.2 - 1e-3)
        #expect(abs(maxDistance(last.adversarial, batch.images, norm: .linf) - 0.2) < 1e-5)
    }

    @Test func theRuleIsNamedInTheSettings() throws {
        #expect(try pgd(.last).settingsDescription.contains("keep=last"))
        #expect(try pgd(.best).settingsDescription.contains("keep=best"))
    }
}
