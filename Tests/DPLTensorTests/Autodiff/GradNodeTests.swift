import Testing
@testable import DPLTensor

@Suite("graph teardown")
struct GradNodeTests {
    @Test func droppingAVeryDeepChainDoesNotOverflowTheStack() throws {
        // 200,000 recorded ops: releasing the last tensor must not recurse once per node.
        var y = Tensor.ones([1]).requiringGrad()
        for _ in 0..<200_000 { y = y * 1.0000001 }
        #expect(y.requiresGrad)
        y = Tensor(0)   // drops the whole chain here
        #expect(!y.requiresGrad)
    }
}
