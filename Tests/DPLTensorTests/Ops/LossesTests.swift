import Foundation
import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("losses")
struct LossesTests {
    @Test func softmaxIsStableAndNormalized() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1000, 1001, 1002, -5, 0, 5])
        let p = try x.softmax()
        for row in 0..<2 {
            let total = p.scalars[row * 3..<row * 3 + 3].reduce(0, +)
            #expect(Swift.abs(total - 1) < 1e-6)
        }
        let logP = try x.logSoftmax()
        #expect(logP.scalars.allSatisfy { $0.isFinite })
        for i in 0..<6 { #expect(Swift.abs(expf(logP.scalars[i]) - p.scalars[i]) < 1e-6) }
        // Along a middle axis.
        let y = try TestRandom(seed: 80).tensorCopy([2, 3, 4]).softmax(axis: 1)
        let sums = try y.sum(axes: [1])
        #expect(sums.scalars.allSatisfy { Swift.abs($0 - 1) < 1e-6 })
    }

    @Test func crossEntropyMatchesDefinition() throws {
        let logits = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 0, 0, 0])
        let perSample = try crossEntropy(logits: logits, labels: [2, 0], reduction: .none)
        #expect(perSample.shape == [2])
        let expected0 = -(3 - logf(expf(1) + expf(2) + expf(3)))
        #expect(Swift.abs(perSample.scalars[0] - expected0) < 1e-5)
        #expect(Swift.abs(perSample.scalars[1] - logf(3)) < 1e-5)
        let mean = try crossEntropy(logits: logits, labels: [2, 0])
        #expect(Swift.abs(try mean.item() - (expected0 + logf(3)) / 2) < 1e-5)
        let total = try crossEntropy(logits: logits, labels: [2, 0], reduction: .sum)
        #expect(Swift.abs(try total.item() - (expected0 + logf(3))) < 1e-5)
    }

    @Test func crossEntropyErrorsNameTheProblem() {
        let logits = Tensor.zeros([2, 3])
        let error = #expect(throws: TensorError.self) { try crossEntropy(logits: logits, labels: [0, 3]) }
        #expect(error?.message.contains("label 3") == true && error?.message.contains("0..<3") == true)
        #expect(throws: TensorError.self) { try crossEntropy(logits: logits, labels: [0]) }
        #expect(throws: TensorError.self) { try crossEntropy(logits: .zeros([6]), labels: [0]) }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 81)
        let x = random.tensor([3, 4], -2, 2)
        try checkGradients([x]) { v in try v[0].softmax() }
        try checkGradients([x]) { v in try v[0].logSoftmax() }
        try checkGradients([random.tensor([2, 3, 4])]) { v in try v[0].softmax(axis: 1) }
        try checkGradients([random.tensor([2, 3, 4])]) { v in try v[0].logSoftmax(axis: 0) }
        for reduction in [LossReduction.none, .mean, .sum] {
            try checkGradients([x]) { v in try crossEntropy(logits: v[0], labels: [3, 0, 1], reduction: reduction) }
            try checkGradients([x, random.tensor([3, 4])]) { v in try mse(v[0], v[1], reduction: reduction) }
        }
        #expect(throws: TensorError.self) { try mse(.zeros([2, 3]), .zeros([3])) }
    }
}

private extension TestRandom {
    /// A random tensor from a fresh copy of the generator (for one-line fixtures).
    func tensorCopy(_ shape: [Int]) -> Tensor {
        var copy = self
        return copy.tensor(shape)
    }
}
