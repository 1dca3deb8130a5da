import Testing
import DPLTensor
import DPLTestSupport
@testable import DPLNN

@Suite("pointwise Conv1d layer")
struct PointwiseConv1dTests {
    /// y[n, o, l] = Σ_c W[o, c, 0] x[n, c, l] + b[o], PyTorch's `nn.Conv1d(in, out, 1)`.
    @Test func isAPerPositionLinearMap() throws {
        let layer = try PointwiseConv1d(inChannels: 2, outChannels: 2, key: RandomKey(seed: 1, purpose: "test"))
        try layer.weight.assign(Tensor(shape: [2, 2, 1], scalars: [1, 2, 3, 4]))
        try layer.bias.assign(Tensor(shape: [2], scalars: [0.5, -1]))
        let y = try layer(Tensor(shape: [1, 2, 3], scalars: [1, 2, 3, 10, 20, 30]))
        #expect(y.shape == [1, 2, 3])
        #expect(y.scalars == [21.5, 42.5, 63.5, 42, 85, 128])
        #expect(throws: TensorError.self) { try layer(.zeros([1, 2, 3, 1])) }
    }

    @Test func inputGradientMatchesFiniteDifferences() throws {
        let layer = try PointwiseConv1d(inChannels: 3, outChannels: 4, key: RandomKey(seed: 2, purpose: "test"))
        var random = TestRandom(seed: 3)
        try checkGradients([random.tensor([2, 3, 5])]) { try layer($0[0]) }
    }
}
