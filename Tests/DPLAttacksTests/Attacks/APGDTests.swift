import DPLTensor
import Testing
import DPLTestSupport
@testable import DPLAttacks

@Suite struct APGDTests {
    let model = TinyMLP(features: 3 * 6 * 6, hidden: 32, classes: 10, seed: 11)

    /// A batch labelled with the model's own predictions, so every sample starts correct.
    func correctlyClassifiedBatch(n: Int) throws -> AttackBatch {
        var random = TestRandom(seed: 4)
        let images = random.tensor([n, 3, 6, 6], 0, 1)
        let labels = try model.logits(images).argmax(axis: 1)
        return try AttackBatch(images: images, labels: labels, sampleIDs: (0..<n).map { UInt64($0) })
    }

    @Test(arguments: [AttackLoss.crossEntropy, .dlr])
    func apgdFoolsAtLeastAsManyAsPGDWithTheSameIterations(loss: AttackLoss) throws {
        let batch = try correctlyClassifiedBatch(n: 48)
        let budget = try AttackBudget(norm: .linf, epsilon: 0.03)
        let pgd = try PGD(budget: budget, steps: 20, stepSize: 0.0075, seed: 1)
        let apgd = try APGD(budget: budget, steps: 20, loss: loss, seed: 1)
        let pgdRun = try runAttack(pgd, on: batch, against: .classifier(model))
        let apgdRun = try runAttack(apgd, on: batch, against: .classifier(model))
        let fooled = { (x: Tensor) in
            try zip(self.model.logits(x).argmax(axis: 1), batch.labels).filter { $0 != $1 }.count
        }
        let (p, a) = (try fooled(pgdRun.outcome.adversarial), try fooled(apgdRun.outcome.adversarial))
        #expect(a >= p, "APGD fooled \(a), PGD \(p)")
        #expect(p > 0 && p < batch.count, "the budget should make the comparison informative (PGD fooled \(p))")
    }

    @Test func checkpointScheduleMatchesAutoAttack() throws {
        let apgd = try APGD(budget: AttackBudget(norm: .linf, epsilon: 0.03), steps: 100)
        #expect(apgd.checkpointIntervals == (22, 6, 3))
        let short = try APGD(budget: AttackBudget(norm: .linf, epsilon: 0.03), steps: 4)
        #expect(short.checkpointIntervals == (1, 1, 1))
    }

    @Test func targetedDLRReachesTheTarget() throws {
        let batch0 = try correctlyClassifiedBatch(n: 8)
        let logits = try model.logits(batch0.images)
        // Target each sample's runner-up class.
        let targets = (0..<8).map { n -> Int in
            let row = Array(logits.scalars[(n * 10)..<((n + 1) * 10)])
            return largestIndex(row, excluding: batch0.labels[n])
        }
        let batch = try AttackBatch(images: batch0.images, labels: batch0.labels, sampleIDs: batch0.sampleIDs, targets: targets)
        let apgd = try APGD(budget: AttackBudget(norm: .linf, epsilon: 0.1), steps: 30, loss: .dlr)
        let run = try runAttack(apgd, on: batch, against: .classifier(model))
        let predicted = try model.logits(run.outcome.adversarial).argmax(axis: 1)
        let hits = zip(predicted, targets).filter { $0 == $1 }.count
        #expect(hits == zip(run.outcome.foundDuringSearch, targets).filter { $0.0 }.count)
        #expect(hits > 0)
    }
}
