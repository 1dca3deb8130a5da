import DPLTensor
import Testing
import DPLTestSupport
@testable import DPLAttacks

@Suite struct AttackLossTests {
    /// Central differences of each loss against its closed-form logit gradient.
    @Test(arguments: [AttackLoss.crossEntropy, .dlr, .margin], [false, true])
    func logitGradientsMatchFiniteDifferences(loss: AttackLoss, targeted: Bool) {
        var random = TestRandom(seed: 13)
        let classes = 6
        let logits = (0..<(3 * classes)).map { _ in random.uniform(-3, 3) }
        let labels = [0, 2, 5], targets: [Int]? = targeted ? [1, 4, 3] : nil
        let (_, gradient) = loss.evaluate(logits: logits, classes: classes, labels: labels, targets: targets)
        let h: Float = 1e-3
        for i in logits.indices {
            var up = logits, down = logits
            up[i] += h
            down[i] -= h
            let f = { (z: [Float]) in loss.evaluate(logits: z, classes: classes, labels: labels, targets: targets).values.reduce(0, +) }
            let numeric = (f(up) - f(down)) / (2 * h)
            #expect(abs(numeric - gradient[i]) < 2e-2 * max(1, abs(numeric)), "\(loss) targeted=\(targeted) logit \(i)")
        }
    }

    @Test func dlrMatchesItsDefinition() {
        // z = [3, 1, 2, 0], y = 0: −(3 − 2)/(3 − 1) = −0.5.
        let value = AttackLoss.dlr.evaluate(logits: [3, 1, 2, 0], classes: 4, labels: [0], targets: nil).values[0]
        #expect(abs(value + 0.5) < 1e-6)
        // y = 3 (not the top): −(0 − 3)/(3 − 1) = 1.5.
        let other = AttackLoss.dlr.evaluate(logits: [3, 1, 2, 0], classes: 4, labels: [3], targets: nil).values[0]
        #expect(abs(other - 1.5) < 1e-6)
    }

    @Test func dlrNeedsEnoughClasses() throws {
        let model = LinearClassifier.binary(w: Array(repeating: 0.1, count: 16), b: 0)
        let apgd = try APGD(budget: AttackBudget(norm: .linf, epsilon: 0.1), steps: 2, loss: .dlr)
        #expect(throws: AttackError.self) { try runAttack(apgd, on: makeBatch(n: 1), against: .classifier(model)) }
    }
}
