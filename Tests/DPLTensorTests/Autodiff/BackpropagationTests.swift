import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("backpropagation")
struct BackpropagationTests {
    @Test func sharedSubexpressionAccumulatesGradients() throws {
        // y = sum(A·A): A is used twice, so both uses must add into its gradient.
        var random = TestRandom(seed: 3)
        let a = random.tensor([3, 3])
        try checkGradients([a]) { x in try x[0].matmul(x[0]) }
    }

    @Test func unreachableTargetGetsZeros() throws {
        let x = Tensor.ones([2, 2]).requiringGrad()
        let unused = Tensor.ones([3]).requiringGrad()
        let g = try gradients(of: try x.matmul(x).sum(), wrt: [unused])
        #expect(g[0].scalars == [0, 0, 0])
    }

    @Test func constantTargetIsAnError() {
        #expect(throws: TensorError.self) { _ = try gradients(of: Tensor(1), wrt: [Tensor.ones([1])]) }
    }

    @Test func noGradScopeRecordsNothing() throws {
        let x = Tensor.ones([2, 2]).requiringGrad()
        let y = try withoutGradients { try x.matmul(x) }
        #expect(!y.requiresGrad)
        #expect(try x.matmul(x).requiresGrad)
    }

    @Test func deepChainDoesNotOverflowTheStack() throws {
        // 20,000 chained ops: the topological sort must be iterative.
        var y = Tensor.ones([1, 1]).requiringGrad()
        let x = y
        let half = try Tensor(shape: [1, 1], scalars: [1])
        for _ in 0..<20_000 { y = try y.matmul(half) }
        let g = try gradients(of: y, wrt: [x])
        #expect(g[0].scalars == [1])
    }
}

@Suite("checkpointing")
struct CheckpointTests {
    @Test func matchesUncheckpointedGradientsForInputsAndCapturedLeaves() throws {
        var random = TestRandom(seed: 4)
        let w = random.tensor([4, 4]).requiringGrad()     // a captured "parameter"
        let x0 = random.tensor([2, 4]).requiringGrad()
        func step(_ x: Tensor) throws -> Tensor { try x.matmul(w) }

        var plain = x0
        for _ in 0..<6 { plain = try step(plain) }
        let expected = try gradients(of: plain.sum(), wrt: [x0, w])

        var chained = x0
        for _ in 0..<3 {   // three segments of two steps
            chained = try checkpointed([chained]) { xs in try step(try step(xs[0])) }
        }
        #expect(chained.scalars == plain.scalars)
        let got = try gradients(of: chained.sum(), wrt: [x0, w])
        for (e, g) in zip(expected, got) {
            for (a, b) in zip(e.scalars, g.scalars) { #expect(abs(a - b) <= 1e-4 * max(1, abs(a))) }
        }
    }
}
