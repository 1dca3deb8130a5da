import Foundation
import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("elementwise math")
struct ElementwiseTests {
    @Test func valuesMatchLibm() throws {
        let x = try Tensor(shape: [3], scalars: [0.5, 1, 4])
        #expect(exp(x).scalars == [expf(0.5), expf(1), expf(4)])
        #expect(log(x).scalars == [logf(0.5), 0, logf(4)])
        #expect(sqrt(x).scalars == [sqrtf(0.5), 1, 2])
        #expect(x.squared().scalars == [0.25, 1, 16])
        #expect(x.reciprocal().scalars == [2, 1, 0.25])
        #expect(pow(x, 3).scalars == [powf(0.5, 3), 1, 64])
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 30)
        let positive = random.tensor([2, 5], 0.5, 2)
        try checkGradients([positive]) { x in exp(x[0]) }
        try checkGradients([positive]) { x in log(x[0]) }
        try checkGradients([positive]) { x in sqrt(x[0]) }
        try checkGradients([random.tensor([2, 5])]) { x in x[0].squared() }
        try checkGradients([positive]) { x in x[0].reciprocal() }
        try checkGradients([positive]) { x in pow(x[0], 2.5) }
    }

    @Test func maximumAndMinimum() throws {
        var random = TestRandom(seed: 31)
        let a = try Tensor(shape: [3], scalars: [1, 5, 3]), b = try Tensor(shape: [3], scalars: [2, 4, 3])
        #expect(try Tensor.maximum(a, b).scalars == [2, 5, 3])
        #expect(try Tensor.minimum(a, b).scalars == [1, 4, 3])
        // Random inputs are tie-free with probability ~1, so the kink is avoided.
        let x = random.tensor([2, 3]), y = random.tensor([3])
        try checkGradients([x, y]) { v in try Tensor.maximum(v[0], v[1]) }
        try checkGradients([x, y]) { v in try Tensor.minimum(v[0], v[1]) }
        #expect(throws: TensorError.self) { try Tensor.maximum(.zeros([2]), .zeros([3])) }
    }
}
