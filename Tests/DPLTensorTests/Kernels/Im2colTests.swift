import Testing
@testable import DPLTensor

@Suite("im2col and col2im")
struct Im2colTests {
    /// col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for any x and c.
    @Test(arguments: [(1, 0), (2, 1), (3, 2), (1, 2)])
    func col2imIsTheAdjointOfIm2col(stride: Int, padding: Int) {
        var random = TestRandom(seed: 61)
        let g = ConvGeometry(channels: 2, height: 5, width: 6, kernelHeight: 3, kernelWidth: 2, stride: stride, padding: padding)
        let x = random.tensor([2, 5, 6]).scalars
        let c = random.tensor([g.patchSize, g.outputPlane]).scalars
        var columns = [Float](repeating: .nan, count: c.count)
        var back = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in columns.withUnsafeMutableBufferPointer { im2col(g, input: xp.baseAddress!, columns: $0.baseAddress!, rowStride: g.outputPlane) } }
        c.withUnsafeBufferPointer { cp in back.withUnsafeMutableBufferPointer { col2im(g, columns: cp.baseAddress!, rowStride: g.outputPlane, input: $0.baseAddress!) } }
        #expect(!columns.contains { $0.isNaN }, "im2col writes every entry")
        let left = zip(columns, c).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let right = zip(x, back).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(left - right) < 1e-4)
    }
}
