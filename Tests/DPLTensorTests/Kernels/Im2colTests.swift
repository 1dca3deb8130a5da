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

    /// The AVX-512 stride-2 scatter-add gives the portable loop's bits: the U-Net's downsampling
    /// shapes (28 → 14, 14 → 7), odd planes, rows longer than 16 outputs (two vectors and a
    /// tail), other kernels and paddings.
    @Test(.enabled(if: VectorISA.detected == .avx512, "needs an AVX-512 CPU"),
          arguments: [(32, 28, 28, 3, 1), (64, 14, 14, 3, 1), (3, 7, 9, 3, 1), (2, 9, 8, 3, 0), (2, 6, 6, 4, 1),
                      (3, 5, 11, 5, 2), (2, 40, 75, 3, 1), (1, 3, 3, 3, 2)])
    func wideStrideTwoCol2imGivesThePortableBits(channels: Int, height: Int, width: Int, kernel: Int, padding: Int) {
        let g = ConvGeometry(channels: channels, height: height, width: width, kernelHeight: kernel,
                             kernelWidth: kernel, stride: 2, padding: padding)
        var random = TestRandom(seed: 61)
        let columns = random.tensor([g.patchSize, g.outputPlane]).scalars
        // A nonzero start, with −0 in places: a padded add of +0 would turn them into +0.
        let start = random.tensor([g.channels * g.inputPlane]).scalars.enumerated().map { $0.offset % 7 == 0 ? -0.0 : $0.element }
        var portable = start, wide = start
        columns.withUnsafeBufferPointer { c in
            portable.withUnsafeMutableBufferPointer { col2im(g, columns: c.baseAddress!, rowStride: g.outputPlane, input: $0.baseAddress!) }
            wide.withUnsafeMutableBufferPointer {
                col2im(g, columns: c.baseAddress!, rowStride: g.outputPlane, input: $0.baseAddress!, wide: true)
            }
        }
        #expect(portable.map(\.bitPattern) == wide.map(\.bitPattern))
    }
}
