import DPLTensor
import Testing
@testable import DPLAttacks

/// A randomized defense whose predictions are scripted per (sample id, draw): on draw k,
/// sample id s is misclassified as class 1 (label 0) when k is in `wrongDraws[s]`.
/// Right draws have softmax ≈ 0.9 on the label, wrong draws ≈ 0.6 on class 1.
func scriptedDefense(wrongDraws: [UInt64: Set<Int>]) -> Defense {
    Defense(description: "scripted", isRandomized: true, gradient: .exact) { x, ids, call in
        let draw = Int(call & UInt64(DefenseCallIndex.maxDraw))
        var rows: [Float] = []
        for id in ids {
            rows += wrongDraws[id, default: []].contains(draw) ? [0, 0.405, -5] : [2.2, 0, -5]
        }
        return try Tensor(shape: [ids.count, 3], scalars: rows) + (x.sum() * 0)
    }
}

@Suite struct EvaluationRuleTests {
    let images = Tensor.zeros([4, 1, 2, 2])
    let ids: [UInt64] = [0, 1, 2, 3]
    // id 0: never wrong; 1: wrong on draw 0 only; 2: wrong on 3 of 5; 3: wrong on draws 1, 3 (a 2–2 tie for K = 4).
    let defense = scriptedDefense(wrongDraws: [1: [0], 2: [0, 2, 4], 3: [1, 3]])

    func correct(_ rule: EvaluationRule) throws -> [Bool] {
        try verdicts(of: defense, on: images, labels: [0, 0, 0, 0], sampleIDs: ids, rule: rule, phase: .adversarialEvaluation).map(\.correct)
    }

    @Test func singleUsesOneDraw() throws {
        #expect(try correct(.single) == [true, false, false, true])
    }

    @Test func voteTakesTheMajority() throws {
        #expect(try correct(.vote(5)) == [true, true, false, true])
    }

    @Test func voteBreaksTiesByTheSummedProbability() throws {
        // id 3 with K = 4: two draws say 0 (p ≈ 0.9), two say 1 (p ≈ 0.6): class 0 wins.
        let v = try verdicts(of: defense, on: images, labels: [0, 0, 0, 0], sampleIDs: ids, rule: .vote(4), phase: .cleanEvaluation)
        #expect(v[3].drawPredictions == [0, 1, 0, 1])
        #expect(v[3].prediction == 0 && v[3].correct)
    }

    @Test func worstNeedsEveryDrawCorrect() throws {
        let v = try verdicts(of: defense, on: images, labels: [0, 0, 0, 0], sampleIDs: ids, rule: .worst(5), phase: .cleanEvaluation)
        #expect(v.map(\.correct) == [true, false, false, false])
        #expect(v[3].prediction == 1)
    }

    @Test func deterministicDefensesAreCalledOnce() throws {
        var calls = 0
        let model = LinearClassifier.binary(w: Array(repeating: 0.1, count: 4), b: 0)
        let fixed = Defense(description: "fixed", isRandomized: false, gradient: .exact) { x, _, _ in
            calls += 1
            return try model.logits(x)
        }
        _ = try verdicts(of: fixed, on: images, labels: [0, 0, 0, 0], sampleIDs: ids, rule: .worst(7), phase: .cleanEvaluation)
        #expect(calls == 1)
    }

    @Test func badKIsRejected() {
        #expect(throws: AttackError.self) { try EvaluationRule.vote(0).validated() }
    }
}

@Suite struct RobustnessResultTests {
    @Test func resultCountsAccuraciesAndSuccessRate() throws {
        // Labels 0; the adversarial evaluation uses the scripted draws, clean draws as well
        // (phases differ only in the top bits, the draw index is the same).
        let defense = scriptedDefense(wrongDraws: [1: [0], 2: [0, 2, 4]])
        let batch = try AttackBatch(images: Tensor.zeros([4, 1, 2, 2]), labels: [0, 0, 0, 0], sampleIDs: [0, 1, 2, 3])
        let fgsm = try FGSM(budget: AttackBudget(norm: .linf, epsilon: 0.1))
        let result = try evaluateRobustness(batch: batch, adversarial: batch.images, defense: defense, rule: .vote(5),
                                            attack: fgsm, threatModel: .endToEnd)
        #expect(result.cleanAccuracy == Proportion(3, of: 4))
        #expect(result.robustAccuracy == Proportion(3, of: 4))
        #expect(result.attackSuccessRate == Proportion(0, of: 3))
        #expect(result.rows[2].cleanPrediction == 1)
        #expect(result.flags.map(\.kind) == [.randomnessWithoutEOT])
        #expect(result.threatModel.description == "end-to-end")

        let second = try evaluateRobustness(
            batch: try AttackBatch(images: Tensor.zeros([1, 1, 2, 2]), labels: [0], sampleIDs: [9]),
            adversarial: Tensor.zeros([1, 1, 2, 2]), defense: defense, rule: .vote(5), attack: fgsm, threatModel: .endToEnd)
        let merged = try result.merged(with: second)
        #expect(merged.n == 5 && merged.cleanAccuracy == Proportion(4, of: 5))
        #expect(throws: AttackError.self) { try result.merged(with: result) }
    }
}
