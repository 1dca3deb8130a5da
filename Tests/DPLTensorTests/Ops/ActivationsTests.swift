import Foundation
import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("activations")
struct ActivationsTests {
    @Test func valuesMatchReferenceFormulas() throws {
        let x = try Tensor(shape: [5], scalars: [-3, -0.5, 0, 0.5, 3])
        #expect(x.relu().scalars == [0, 0, 0, 0.5, 3])
        for (i, v) in x.scalars.enumerated() {
            let sigma = 1 / (1 + expf(-v))
            #expect(Swift.abs(x.sigmoid().scalars[i] - sigma) < 1e-6)
            #expect(Swift.abs(x.silu().scalars[i] - v * sigma) < 1e-6)
            #expect(Swift.abs(tanh(x).scalars[i] - tanhf(v)) < 1e-6)
        }
        // Exact (erf) GELU, PyTorch's default: gelu(1) = 0.8413447, gelu(-1) = -0.1586553.
        let g = try Tensor(shape: [2], scalars: [1, -1]).gelu()
        #expect(Swift.abs(g.scalars[0] - 0.8413447) < 1e-6 && Swift.abs(g.scalars[1] + 0.1586553) < 1e-6)
        // Sigmoid does not overflow for large inputs.
        #expect(try Tensor(shape: [2], scalars: [-200, 200]).sigmoid().scalars == [0, 1])
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 70)
        let x = random.tensor([3, 4], -3, 3)
        try checkGradients([x]) { v in v[0].relu() }   // random inputs avoid the kink at 0
        try checkGradients([x]) { v in v[0].sigmoid() }
        try checkGradients([x]) { v in v[0].silu() }
        try checkGradients([x]) { v in v[0].gelu() }
        try checkGradients([x]) { v in tanh(v[0]) }
    }
}
