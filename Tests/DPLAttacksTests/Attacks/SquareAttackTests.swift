import DPLTensor
import Testing
import DPLTestSupport
@testable import DPLAttacks

@Suite struct SquareAttackTests {
    /// 64 weights for 1×8×8 images and a bias putting the margin at 0.5 for x = 0.5 (class 1).
    static let w: [Float] = { var r = TestRandom(seed: 21); return (0..<64).map { _ in r.uniform(-1, 1) } }()
    static let b: Float = 0.5 - 0.5 * w.reduce(0, +)
    let model = LinearClassifier.binary(w: SquareAttackTests.w, b: SquareAttackTests.b)

    /// A defense that refuses gradients: Square must still work, gradient attacks must not.
    var blackBox: Defense {
        let model = self.model
        return Defense(description: "linear (no gradients)", isRandomized: false, gradient: .unavailable) { x, _, _ in
            try withoutGradients { try model.logits(x.detached()) }
        }
    }

    @Test(arguments: [(AttackNorm.linf, Float(0.05)), (.l2, 0.5)])
    func squareFindsAdversarialsOnTheLinearModelWithoutGradients(norm: AttackNorm, eps: Float) throws {
        // The optimal changes of the margin are ε·‖w‖₁ ≈ 1.6 (L∞) and ε·‖w‖₂ ≈ 2.3 (L2), above 0.5.
        var random = TestRandom(seed: 3)
        let images = try Tensor(shape: [6, 1, 8, 8], scalars: (0..<384).map { _ in 0.5 + random.uniform(-0.02, 0.02) })
        let labels = try model.logits(images).argmax(axis: 1)
        #expect(labels.allSatisfy { $0 == 1 })
        let batch = try AttackBatch(images: images, labels: labels, sampleIDs: Array(0..<6))
        let square = try SquareAttack(budget: AttackBudget(norm: norm, epsilon: eps), queries: 300, seed: 2)
        let run = try runAttack(square, on: batch, against: blackBox)
        #expect(run.outcome.foundDuringSearch.allSatisfy { $0 })
        #expect(try model.logits(run.outcome.adversarial).argmax(axis: 1).allSatisfy { $0 == 0 })
        #expect(maxDistance(run.outcome.adversarial, images, norm: norm) <= eps + 1e-5)
    }

    @Test func gradientAttacksRefuseADefenseWithoutGradients() throws {
        let batch = makeBatch(n: 2)
        let pgd = try PGD(budget: AttackBudget(norm: .linf, epsilon: 0.1), steps: 3, stepSize: 0.03)
        do {
            _ = try runAttack(pgd, on: batch, against: blackBox)
            Issue.record("expected an error")
        } catch let error as AttackError {
            #expect(error.message.contains("needs gradients"))
        }
    }

    @Test func pScheduleHalvesOnTheRescaledQueryScale() throws {
        let square = try SquareAttack(budget: AttackBudget(norm: .linf, epsilon: 0.1), queries: 1000, pInit: 0.8)
        #expect(square.p(atQuery: 0) == 0.8)
        #expect(square.p(atQuery: 2) == 0.4)     // 20 on the 10 000 scale
        #expect(square.p(atQuery: 10) == 0.2)    // 100
        #expect(square.p(atQuery: 999) == 0.8 / 512)
    }

    @Test func resultsDoNotDependOnTheBatchASampleIsIn() throws {
        // Row-wise logits (no matrix product, whose last bits can depend on the batch size).
        var random = TestRandom(seed: 8)
        let model = RowwiseLinear(weight: random.tensor([3, 48], -1, 1))
        let images = random.tensor([4, 3, 4, 4], 0, 1)
        let labels = try model.logits(images).argmax(axis: 1)
        let ids: [UInt64] = [10, 11, 12, 13]
        let square = try SquareAttack(budget: AttackBudget(norm: .linf, epsilon: 0.05), queries: 20)
        let whole = try square.perturb(try AttackBatch(images: images, labels: labels, sampleIDs: ids), against: .classifier(model))
        let last = try square.perturb(try AttackBatch(images: images.gather(rows: [3]), labels: [labels[3]], sampleIDs: [13]),
                                      against: .classifier(model))
        #expect(Array(whole.adversarial.scalars[(3 * 48)...]) == last.adversarial.scalars)
    }
}
