import Testing
import DPLTestSupport
import Foundation
@testable import DPLTensor

@Suite("groupNorm")
struct GroupNormTests {
    @Test(arguments: [([2, 4, 3, 3], 2), ([3, 6, 5], 3), ([2, 4, 2, 2], 1), ([1, 4, 3, 2], 4)])
    func matchesDirectFormula(shape: [Int], groups: Int) throws {
        var random = TestRandom(seed: 41)
        let x = random.tensor(shape, -2, 3), gamma = random.tensor([shape[1]]), beta = random.tensor([shape[1]])
        let y = try x.groupNorm(groups: groups, gamma: gamma, beta: beta)
        let spatial = shape.dropFirst(2).reduce(1, *), perGroup = shape[1] / groups * spatial
        for n in 0..<shape[0] { for g in 0..<groups {
            let start = (n * groups + g) * perGroup
            let values = (start..<(start + perGroup)).map { Double(x.scalars[$0]) }
            let mean = values.reduce(0, +) / Double(perGroup)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(perGroup)
            for i in 0..<perGroup {
                let c = g * (shape[1] / groups) + i / spatial
                let expected = (values[i] - mean) / (variance + 1e-5).squareRoot() * Double(gamma.scalars[c]) + Double(beta.scalars[c])
                #expect(abs(Double(y.scalars[start + i]) - expected) < 1e-5)
            }
        } }
    }

    @Test(arguments: [([2, 4, 3, 3], 2), ([3, 6, 5], 3), ([1, 4, 3, 2], 4)])
    func gradientsMatchFiniteDifferences(shape: [Int], groups: Int) throws {
        var random = TestRandom(seed: 42)
        let inputs = [random.tensor(shape, -2, 3), random.tensor([shape[1]]), random.tensor([shape[1]])]
        try checkGradients(inputs, step: 5e-3) { xs in try xs[0].groupNorm(groups: groups, gamma: xs[1], beta: xs[2]) }
    }

    @Test func bitIdenticalForOneAndTwoThreads() throws {
        var random = TestRandom(seed: 43)
        let x = random.tensor([5, 8, 16, 16]), gamma = random.tensor([8]), beta = random.tensor([8])
        let seed = random.tensor([5, 8, 16, 16])
        func run() throws -> [[Float]] {
            let leaves = [x.requiringGrad(), gamma.requiringGrad(), beta.requiringGrad()]
            let y = try leaves[0].groupNorm(groups: 4, gamma: leaves[1], beta: leaves[2])
            return [y.scalars] + (try gradients(of: y, wrt: leaves, seed: seed)).map(\.scalars)
        }
        let one = try EngineThreads.with(1) { try run() }
        let two = try EngineThreads.with(2) { try run() }
        for (a, b) in zip(one, two) { #expect(a.map(\.bitPattern) == b.map(\.bitPattern)) }
    }

    // MARK: groupNormSiLU

    @Test(arguments: [([2, 4, 7, 7], 2), ([3, 6, 5], 3), ([2, 8, 4, 4], 4), ([1, 4, 3, 2], 1)])
    func fusedSiLUIsBitIdenticalToTheTwoOps(shape: [Int], groups: Int) throws {
        var random = TestRandom(seed: 44)
        let x = random.tensor(shape, -3, 3), gamma = random.tensor([shape[1]]), beta = random.tensor([shape[1]])
        let seed = random.tensor(shape)
        func run(fused: Bool) throws -> [[UInt32]] {
            let leaves = [x.requiringGrad(), gamma.requiringGrad(), beta.requiringGrad()]
            let y = fused ? try leaves[0].groupNormSiLU(groups: groups, gamma: leaves[1], beta: leaves[2])
                          : try leaves[0].groupNorm(groups: groups, gamma: leaves[1], beta: leaves[2]).silu()
            return ([y] + (try gradients(of: y, wrt: leaves, seed: seed))).map { $0.scalars.map(\.bitPattern) }
        }
        #expect(try run(fused: true) == run(fused: false))
    }

    @Test(arguments: [([2, 4, 3, 3], 2), ([1, 4, 3, 2], 4)])
    func fusedSiLUGradientsMatchFiniteDifferences(shape: [Int], groups: Int) throws {
        var random = TestRandom(seed: 45)
        let inputs = [random.tensor(shape, -2, 3), random.tensor([shape[1]]), random.tensor([shape[1]])]
        try checkGradients(inputs, step: 5e-3) { xs in try xs[0].groupNormSiLU(groups: groups, gamma: xs[1], beta: xs[2]) }
    }

    @Test func fusedSiLUBitIdenticalForOneAndTwoThreads() throws {
        var random = TestRandom(seed: 46)
        let x = random.tensor([5, 8, 16, 16]), gamma = random.tensor([8]), beta = random.tensor([8])
        let seed = random.tensor([5, 8, 16, 16])
        func run() throws -> [[Float]] {
            let leaves = [x.requiringGrad(), gamma.requiringGrad(), beta.requiringGrad()]
            let y = try leaves[0].groupNormSiLU(groups: 4, gamma: leaves[1], beta: leaves[2])
            return [y.scalars] + (try gradients(of: y, wrt: leaves, seed: seed)).map(\.scalars)
        }
        let one = try EngineThreads.with(1) { try run() }
        let two = try EngineThreads.with(2) { try run() }
        for (a, b) in zip(one, two) { #expect(a.map(\.bitPattern) == b.map(\.bitPattern)) }
    }

    @Test func rejectsBadShapes() {
        let error = #expect(throws: TensorError.self) { try Tensor.zeros([1, 6, 2, 2]).groupNorm(groups: 4, gamma: .ones([6]), beta: .zeros([6])) }
        #expect(error?.description.contains("[1, 6, 2, 2]") == true)
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 4, 2, 2]).groupNorm(groups: 2, gamma: .ones([3]), beta: .zeros([4])) }
        #expect(throws: TensorError.self) { try Tensor.zeros([4]).groupNorm(groups: 2, gamma: .ones([4]), beta: .zeros([4])) }
    }

    @Test func emptyBatch() throws {
        #expect(try Tensor.zeros([0, 4, 2, 2]).groupNorm(groups: 2, gamma: .ones([4]), beta: .zeros([4])).shape == [0, 4, 2, 2])
    }
}
