import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("matmul")
struct MatmulTests {
    @Test func matchesNaiveProduct() throws {
        var random = TestRandom(seed: 1)
        let a = random.tensor([5, 7]), b = random.tensor([7, 3])
        let c = try a.matmul(b)
        #expect(c.shape == [5, 3])
        for i in 0..<5 { for j in 0..<3 {
            var s: Float = 0
            for k in 0..<7 { s += a.scalars[i * 7 + k] * b.scalars[k * 3 + j] }
            #expect(abs(c.scalars[i * 3 + j] - s) < 1e-5)
        } }
    }

    @Test func rejectsMismatchedShapesWithBothShapes() {
        let error = #expect(throws: TensorError.self) { try Tensor.zeros([2, 3]).matmul(.zeros([4, 5])) }
        #expect(error?.description.contains("[2, 3]") == true)
        #expect(error?.description.contains("[4, 5]") == true)
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gradientsForEveryTransposeCombination(ta: Bool, tb: Bool) throws {
        var random = TestRandom(seed: 2)
        let a = random.tensor(ta ? [4, 3] : [3, 4]), b = random.tensor(tb ? [5, 4] : [4, 5])
        try checkGradients([a, b]) { x in try Tensor.matmul(x[0], x[1], transposeA: ta, transposeB: tb) }
    }
}
