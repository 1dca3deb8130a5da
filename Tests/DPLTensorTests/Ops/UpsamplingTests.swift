import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("upsampleNearest")
struct UpsamplingTests {
    @Test(arguments: [1, 2, 3])
    func repeatsEachPixelAndSumsGradients(scale: Int) throws {
        var random = TestRandom(seed: 31)
        let x = random.tensor([2, 2, 3, 4])
        let y = try x.upsampleNearest(scale: scale)
        #expect(y.shape == [2, 2, 3 * scale, 4 * scale])
        for p in 0..<4 { for oy in 0..<(3 * scale) { for ox in 0..<(4 * scale) {
            #expect(y.scalars[(p * 3 * scale + oy) * 4 * scale + ox] == x.scalars[(p * 3 + oy / scale) * 4 + ox / scale])
        } } }
        try checkGradients([x]) { xs in try xs[0].upsampleNearest(scale: scale) }
    }

    @Test func rejectsBadInput() {
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 3]).upsampleNearest(scale: 2) }
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 1, 2, 2]).upsampleNearest(scale: 0) }
    }
}
