import Testing
import DPLTestSupport
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

@Suite("im2col against its definition")
struct Im2colDefinitionTests {
    /// Every entry of the column matrix is `x[c, oy·s − p + ky, ox·s − p + kx]` or 0 in the
    /// padding, for "same"-width kernels (the contiguous fast path) and all others.
    @Test(arguments: [(3, 3, 1, 1), (5, 5, 1, 2), (1, 3, 1, 1), (3, 1, 1, 0), (3, 3, 2, 1), (2, 3, 1, 0), (3, 3, 1, 0)])
    func matchesTheDefinition(kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        var random = TestRandom(seed: 62)
        let g = ConvGeometry(channels: 3, height: 6, width: 7, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                             stride: stride, padding: padding)
        let x = random.tensor([3, 6, 7]).scalars
        var columns = [Float](repeating: .nan, count: g.patchSize * g.outputPlane)
        x.withUnsafeBufferPointer { xp in
            columns.withUnsafeMutableBufferPointer { im2col(g, input: xp.baseAddress!, columns: $0.baseAddress!, rowStride: g.outputPlane) }
        }
        var mismatches = 0
        for c in 0..<3 {
            for ky in 0..<kernelHeight {
                for kx in 0..<kernelWidth {
                    for oy in 0..<g.outputHeight {
                        for ox in 0..<g.outputWidth {
                            let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                            let expected: Float = (0..<6).contains(iy) && (0..<7).contains(ix) ? x[(c * 6 + iy) * 7 + ix] : 0
                            let row = (c * kernelHeight + ky) * kernelWidth + kx
                            if columns[row * g.outputPlane + oy * g.outputWidth + ox] != expected { mismatches += 1 }
                        }
                    }
                }
            }
        }
        #expect(mismatches == 0)
    }
}
