import DPLNN
import Testing
import DPLTensor
@testable import DPLAttacks

@Suite("target rules")
struct TargetRuleTests {
    /// A 4-class linear model on 1×2×2 images with fixed, distinct logits per image.
    let model = LinearClassifier(
        weight: try! Tensor(shape: [4, 4], scalars: [1, 0, 0, 0,  0, 1, 0, 0,  0, 0, 1, 0,  0, 0, 0, 1]),
        bias: .zeros([4]))

    func batch(_ pixels: [[Float]], labels: [Int]) -> AttackBatch {
        try! AttackBatch(images: Tensor(shape: [pixels.count, 1, 2, 2], scalars: pixels.flatMap { $0 }),
                         labels: labels, sampleIDs: labels.indices.map { UInt64(10 + $0) })
    }

    @Test func aFixedClassSkipsSamplesAlreadyLabelledWithIt() throws {
        let b = makeBatch(n: 3, labels: [0, 2, 3])
        #expect(try TargetRule.class(2).targets(for: b, classes: 4, seed: 0, defense: .classifier(model)) == [2, nil, 2])
    }

    @Test func aClassOutsideTheDefenseIsAClearError() throws {
        let b = makeBatch(n: 2, labels: [0, 1])
        let error = #expect(throws: AttackError.self) {
            try TargetRule.class(4).targets(for: b, classes: 4, seed: 0, defense: .classifier(model))
        }
        #expect(error?.message.contains("0 to 3") == true)
    }

    @Test func aClassEqualToEveryLabelLeavesNothingToAttack() throws {
        let error = #expect(throws: AttackError.self) { try TargetRule.class(1).validate(labels: [1, 1, 1]) }
        #expect(error?.message.contains("target=random") == true)
        try TargetRule.class(1).validate(labels: [1, 0, 1])
        try TargetRule.random.validate(labels: [1, 1])
    }

    @Test func randomTargetsAreKeyedByIdNeverTheLabelAndCoverTheOtherClasses() throws {
        let n = 400
        let labels = (0..<n).map { $0 % 4 }
        let ids = (0..<n).map { UInt64(1000 + $0) }
        let whole = try AttackBatch(images: .zeros([n, 1, 2, 2]), labels: labels, sampleIDs: ids)
        let targets = try TargetRule.random.targets(for: whole, classes: 4, seed: 5, defense: .classifier(model))
        #expect(zip(targets, labels).allSatisfy { $0 != nil && $0 != $1 })
        for label in 0..<4 {
            let chosen = Set(zip(targets, labels).filter { $1 == label }.compactMap { $0.0 })
            #expect(chosen == Set((0..<4).filter { $0 != label }), "every other class is drawn for label \(label)")
        }
        // The same sample gets the same target in any batch; another seed changes them.
        let part = try AttackBatch(images: .zeros([2, 1, 2, 2]), labels: [labels[7], labels[3]], sampleIDs: [ids[7], ids[3]])
        #expect(try TargetRule.random.targets(for: part, classes: 4, seed: 5, defense: .classifier(model)) == [targets[7], targets[3]])
        #expect(try TargetRule.random.targets(for: whole, classes: 4, seed: 6, defense: .classifier(model)) != targets)
    }

    @Test func leastLikelyIsTheLowestCleanLogitOtherThanTheLabel() throws {
        // Logits are the pixels. Sample 0: lowest is class 2. Sample 1: the label (3) is lowest,
        // so the next lowest (class 0) is the target.
        let b = batch([[0.5, 0.9, 0.1, 0.3], [0.2, 0.6, 0.8, 0.0]], labels: [1, 3])
        #expect(try TargetRule.leastLikely.targets(for: b, classes: 4, seed: 0, defense: .classifier(model)) == [2, 0])
    }

    @Test func aTargetedRunAttacksOnlySamplesWithATargetAndHitsIt() throws {
        let b = batch([[0.6, 0.5, 0.4, 0.3], [0.3, 0.6, 0.5, 0.4], [0.4, 0.3, 0.6, 0.5]], labels: [0, 1, 2])
        let targets: [Int?] = [1, nil, 1]
        let pgd = try PGD(budget: AttackBudget(norm: .linf, epsilon: 0.2), steps: 20, stepSize: 0.02, randomStart: false)
        let (adversarial, _) = try runTargetedAttack(pgd, on: b, targets: targets, against: .classifier(model))
        #expect(Array(adversarial.scalars[4..<8]) == Array(b.images.scalars[4..<8]), "the sample without a target is untouched")
        let predicted = try model.logits(adversarial).argmax(axis: 1)
        #expect(predicted[0] == 1 && predicted[2] == 1)

        let result = try evaluateRobustness(batch: b, adversarial: adversarial, defense: .classifier(model), rule: .single,
                                            attack: pgd, threatModel: .endToEnd, targetRule: .class(1), targets: targets)
        #expect(result.rows.map(\.target) == targets)
        #expect(result.targetedSuccessRate == Proportion(2, of: 2))
        let untargeted = try evaluateRobustness(batch: b, adversarial: adversarial, defense: .classifier(model), rule: .single,
                                                attack: pgd, threatModel: .endToEnd)
        #expect(untargeted.targetedSuccessRate == nil)
        #expect(throws: AttackError.self) { try result.merged(with: untargeted) }
    }
}
