import DPLTensor
import Testing
@testable import DPLAttacks

/// FGSM and PGD on a binary linear model, where the optimal perturbations are analytic:
/// to lower the margin w·x + b of a class-1 sample, L∞ moves by −ε·sign(w), L2 by −ε·w/‖w‖.
@Suite struct LinearModelAttackTests {
    let w: [Float] = [0.9, -0.4, 0.3, -1.2, 0.5, 0.7, -0.2, 1.1, -0.6, 0.8, -0.9, 0.25, 0.6, -0.35, 0.45, -0.75]
    var model: LinearClassifier { .binary(w: w, b: 0.3) }
    var defense: Defense { .classifier(model) }
    // Pixels in [0.3, 0.7] so an ε = 0.1 step never touches [0, 1]'s walls.
    var batch: AttackBatch { makeBatch(n: 3, labels: [1, 1, 0], low: 0.3, high: 0.7) }

    func expectedOffset(norm: AttackNorm, eps: Float, label: Int) -> [Float] {
        let direction: Float = label == 1 ? -1 : 1
        switch norm {
        case .linf: return w.map { direction * eps * ($0 > 0 ? 1 : -1) }
        case .l2:
            let length = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return w.map { direction * eps * $0 / length }
        }
    }

    /// Near the optimum on the L2 sphere the loss changes only to second order in the angle,
    /// below float32's resolution of the loss, so PGD's best point is exact to ~1e-4 there.
    func checkOptimal(_ adversarial: Tensor, norm: AttackNorm, eps: Float, batch: AttackBatch, tolerance: Float = 1e-5) {
        let x = batch.images.scalars, a = adversarial.scalars
        for n in 0..<batch.count {
            let expected = expectedOffset(norm: norm, eps: eps, label: batch.labels[n])
            for j in 0..<w.count {
                #expect(abs(a[n * 16 + j] - x[n * 16 + j] - expected[j]) < tolerance, "sample \(n) pixel \(j)")
            }
        }
    }

    @Test(arguments: [AttackNorm.linf, .l2])
    func fgsmReachesTheOptimalPerturbation(norm: AttackNorm) throws {
        let fgsm = try FGSM(budget: AttackBudget(norm: norm, epsilon: 0.1))
        let run = try runAttack(fgsm, on: batch, against: defense)
        checkOptimal(run.outcome.adversarial, norm: norm, eps: 0.1, batch: batch)
    }

    @Test(arguments: [AttackNorm.linf, .l2])
    func pgdReachesTheOptimalPerturbationAndItsLossIsAtLeastFGSMs(norm: AttackNorm) throws {
        // PGD keeps the first misclassified point it finds, so the loss maximum is only its
        // answer for samples it cannot flip: a bias of 3 keeps every margin above 0.6 here
        // (|w·(x − 0.5)| ≤ 0.2·‖w‖₁ = 2, ε‖w‖₁ = 1).
        let model = LinearClassifier.binary(w: w, b: 3)
        let defense = Defense.classifier(model)
        let batch = makeBatch(n: 3, labels: [1, 1, 1], low: 0.3, high: 0.7)
        let budget = try AttackBudget(norm: norm, epsilon: 0.1)
        // L2 steps of 2ε contract the component across w by ~3× per step; L∞ needs only ε/4.
        let pgd = try PGD(budget: budget, steps: 20, stepSize: norm == .l2 ? 0.2 : 0.025, randomStart: true, restarts: 2, seed: 3)
        let pgdRun = try runAttack(pgd, on: batch, against: defense)
        checkOptimal(pgdRun.outcome.adversarial, norm: norm, eps: 0.1, batch: batch, tolerance: norm == .l2 ? 5e-4 : 1e-5)

        let fgsmRun = try runAttack(try FGSM(budget: budget), on: batch, against: defense)
        let loss = { (x: Tensor) in try crossEntropy(logits: try model.logits(x), labels: batch.labels, reduction: .none).scalars }
        let (pgdLoss, fgsmLoss) = (try loss(pgdRun.outcome.adversarial), try loss(fgsmRun.outcome.adversarial))
        for n in 0..<batch.count { #expect(pgdLoss[n] >= fgsmLoss[n] - 1e-5) }
    }

    @Test func targetedFGSMMovesTowardsTheTarget() throws {
        // Class-1 samples targeted at class 0: the same direction as the untargeted attack.
        let targeted = makeBatch(n: 2, labels: [1, 1], low: 0.3, high: 0.7, targets: [0, 0])
        let run = try runAttack(try FGSM(budget: AttackBudget(norm: .linf, epsilon: 0.1)), on: targeted, against: defense)
        let expected = expectedOffset(norm: .linf, eps: 0.1, label: 1)
        for j in 0..<w.count {
            #expect(abs(run.outcome.adversarial.scalars[j] - targeted.images.scalars[j] - expected[j]) < 1e-5)
        }
    }

    @Test func pgdFlipsAFlippableSampleAndReportsIt() throws {
        // At x = 0.5 the margin is 0.5·Σw = 0.6 (class 1); ε·‖w‖₁ = 0.2·10 = 2 can flip it.
        let unbiased = LinearClassifier.binary(w: w, b: 0)
        let single = try AttackBatch(images: Tensor(repeating: 0.5, shape: [1, 1, 4, 4]), labels: [1], sampleIDs: [7])
        let pgd = try PGD(budget: AttackBudget(norm: .linf, epsilon: 0.2), steps: 10, stepSize: 0.05)
        let run = try runAttack(pgd, on: single, against: .classifier(unbiased))
        #expect(run.outcome.foundDuringSearch == [true])
        #expect(try unbiased.logits(run.outcome.adversarial).argmax(axis: 1) == [0])
    }
}
