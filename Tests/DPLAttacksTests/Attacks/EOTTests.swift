import DPLTensor
import Testing
@testable import DPLAttacks

/// A defense with controlled randomness: the input is scaled per pixel by 1 + 0.5·ξ, ξ a
/// standard normal keyed by (call, sample id), before a linear classifier, so the input
/// gradient is w ⊙ (1 + 0.5·ξ) up to the softmax factor: random, with a known mean direction.
func maskedLinearDefense(_ model: LinearClassifier) -> Defense {
    Defense(description: "random mask | linear", isRandomized: true, gradient: .exact) { x, ids, call in
        let key = RandomKey(seed: 5, purpose: "test.mask", call: call)
        let noise = try Tensor.normal(shape: x.shape, key: key, sampleIDs: ids, standardDeviation: 0.5)
        return try model.logits(try x * (noise + 1))
    }
}

@Suite struct EOTTests {
    @Test func eotReducesGradientVariance() throws {
        let w: [Float] = (0..<16).map { Float($0 % 5) - 2 }
        let defense = maskedLinearDefense(.binary(w: w, b: 0))
        let batch = makeBatch(n: 1, low: 0.4, high: 0.6)
        func variance(eot: Int) throws -> Float {
            var oracle = LossOracle(defense: defense, loss: .crossEntropy, batch: batch, eotSamples: eot)
            var gradients: [[Float]] = []
            for repetition in 0..<40 {
                gradients.append(try oracle.evaluate(batch.images.scalars, restart: 0, iteration: repetition, withGradient: true).gradient)
            }
            var total: Float = 0
            for j in 0..<16 {
                let mean = gradients.reduce(0) { $0 + $1[j] } / 40
                total += gradients.reduce(0) { $0 + ($1[j] - mean) * ($1[j] - mean) } / 39
            }
            return total
        }
        let (one, eight) = (try variance(eot: 1), try variance(eot: 8))
        // Independent draws: the variance of a mean of 8 is 1/8 of one draw's; allow sampling noise.
        #expect(eight < one / 4, "variance eot=1 \(one), eot=8 \(eight)")
        #expect(eight > one / 20)
    }

    @Test func eotDrawsUseDistinctCallIndicesAndRepeatForTheSameIteration() throws {
        var calls: [UInt64] = []
        let model = LinearClassifier.binary(w: Array(repeating: 0.1, count: 16), b: 0)
        let recording = Defense(description: "recording", isRandomized: true, gradient: .exact) { x, _, call in
            calls.append(call)
            return try model.logits(x)
        }
        let pgd = try PGD(budget: AttackBudget(norm: .linf, epsilon: 0.1), steps: 2, stepSize: 0.05, eot: 3)
        _ = try pgd.perturb(makeBatch(n: 1), against: recording)
        #expect(calls.count == 9)
        #expect(Set(calls).count == 9)
        #expect(calls[0] == DefenseCallIndex.make(.attack, restart: 0, iteration: 0, draw: 0))
        #expect(calls[4] == DefenseCallIndex.make(.attack, restart: 0, iteration: 1, draw: 1))
    }
}
