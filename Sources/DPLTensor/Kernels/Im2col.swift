import CDPLKernels

// MARK: - Convolution geometry

/// The sizes of one 2-D convolution (or pooling window sweep): input planes, kernel, stride,
/// zero padding, and the output extent they produce.
struct ConvGeometry {
    let channels: Int
    let height: Int
    let width: Int
    let kernelHeight: Int
    let kernelWidth: Int
    let stride: Int
    let padding: Int

    var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    var patchSize: Int { channels * kernelHeight * kernelWidth }
    /// Columns of the column matrix: one per output position.
    var outputPlane: Int { outputHeight * outputWidth }
    var inputPlane: Int { height * width }

    /// Whether the column matrix of a sample is the sample itself (1×1 kernel, stride 1, no
    /// padding), so im2col can be skipped.
    var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }

    /// The output columns `ox` whose input column `ox·stride − padding + kx` lies inside the
    /// image; the others read zero padding.
    @inline(__always)
    func validOutputColumns(kernelColumn kx: Int) -> Range<Int> {
        // ox·s ≥ p − kx  and  ox·s ≤ W − 1 + p − kx
        let low = max(0, ceilDivide(padding - kx, stride))
        let high = min(outputWidth, floorDivide(width - 1 + padding - kx, stride) + 1)
        return low..<max(low, high)
    }
}

@inline(__always) private func floorDivide(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? a / b : -((-a + b - 1) / b)
}

@inline(__always) private func ceilDivide(_ a: Int, _ b: Int) -> Int {
    -floorDivide(-a, b)
}

// MARK: - im2col

/// Unfolds one sample `[C, H, W]` into its column matrix `[C·kh·kw, H'·W']`: row
/// `(c·kh + ky)·kw + kx`, column `oy·W' + ox` holds `x[c, oy·s − p + ky, ox·s − p + kx]`, or 0
/// in the padding. A convolution is then `weight[O, C·kh·kw] · columns`.
///
/// `rowStride` is the distance between rows of `columns`, so that several samples can be
/// unfolded side by side into one wide matrix (`rowStride = N·H'·W'`).
func im2col(_ geometry: ConvGeometry, input: UnsafePointer<Float>,
            columns: UnsafeMutablePointer<Float>, rowStride: Int) {
    let g = geometry
    let outW = g.outputWidth
    if g.stride == 1 && outW == g.width {
        im2colSameWidth(g, input: input, columns: columns, rowStride: rowStride)
        return
    }
    for c in 0..<g.channels {
        let plane = input + c * g.inputPlane
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                let row = columns + ((c * g.kernelHeight + ky) * g.kernelWidth + kx) * rowStride
                let valid = g.validOutputColumns(kernelColumn: kx)
                for oy in 0..<g.outputHeight {
                    let out = row + oy * outW
                    let iy = oy * g.stride - g.padding + ky
                    guard iy >= 0, iy < g.height else {
                        out.update(repeating: 0, count: outW)
                        continue
                    }
                    let source = plane + iy * g.width - g.padding + kx
                    for ox in 0..<valid.lowerBound { out[ox] = 0 }
                    if g.stride == 1 {
                        (out + valid.lowerBound).update(from: source + valid.lowerBound,
                                                        count: valid.count)
                    } else {
                        for ox in valid { out[ox] = source[ox * g.stride] }
                    }
                    for ox in valid.upperBound..<outW { out[ox] = 0 }
                }
            }
        }
    }
}

/// im2col for a unit-stride kernel whose output rows are as wide as the input's (a "same"
/// convolution such as 3×3 with padding 1, the U-Net's and the CNN's). Each column-matrix row
/// is then the input plane shifted by one flat offset: one long contiguous copy per row, then
/// the few entries that wrapped around a row edge (or fell into the padding rows) set to zero.
/// With 28-wide rows this replaces 28 short copies per row by one.
private func im2colSameWidth(_ g: ConvGeometry, input: UnsafePointer<Float>,
                             columns: UnsafeMutablePointer<Float>, rowStride: Int) {
    let width = g.width, plane = g.outputPlane
    for c in 0..<g.channels {
        let source = input + c * g.inputPlane
        for ky in 0..<g.kernelHeight {
            // Output rows oy whose input row oy − p + ky lies inside the image.
            let firstRow = max(0, g.padding - ky)
            let endRow = min(g.outputHeight, g.height + g.padding - ky)
            for kx in 0..<g.kernelWidth {
                let row = columns + ((c * g.kernelHeight + ky) * g.kernelWidth + kx) * rowStride
                let shift = (ky - g.padding) * width + (kx - g.padding)
                // The flat output range to copy, kept inside the source plane (and inside the
                // output plane: with a single input row, −shift can exceed it).
                let start = min(plane, max(firstRow * width, -shift))
                let end = max(start, min(endRow * width, g.inputPlane - shift))
                row.update(repeating: 0, count: start)
                (row + start).update(from: source + start + shift, count: end - start)
                (row + end).update(repeating: 0, count: plane - end)
                // Columns whose input column ox − p + kx falls off the left or right edge read
                // a neighbouring row in the flat copy: they belong to the padding.
                let valid = g.validOutputColumns(kernelColumn: kx)
                if valid.count < width {
                    for oy in firstRow..<max(firstRow, endRow) {
                        let out = row + oy * width
                        for ox in 0..<valid.lowerBound { out[ox] = 0 }
                        for ox in valid.upperBound..<width { out[ox] = 0 }
                    }
                }
            }
        }
    }
}

// MARK: - col2im

/// The adjoint of `im2col`: adds every entry of the column matrix back onto the input position
/// it was read from (padding entries are dropped). `input` must be zeroed by the caller when a
/// fresh gradient is wanted. The additions run in a fixed order, so the result is
/// deterministic.
///
/// With `wide` (the caller's `VectorISA` is AVX-512), stride 2 — the input gradient of the
/// U-Net's downsampling convolutions, whose scalar strided adds were 2.1–2.5% of purification
/// with gradients — adds sixteen entries at a time (Sources/CDPLKernels/col2im.c): the same
/// single addition per entry in the same order, so the same bits.
func col2im(_ geometry: ConvGeometry, columns: UnsafePointer<Float>, rowStride: Int,
            input: UnsafeMutablePointer<Float>, wide: Bool = false) {
    let g = geometry
    let outW = g.outputWidth
    for c in 0..<g.channels {
        let plane = input + c * g.inputPlane
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                let row = columns + ((c * g.kernelHeight + ky) * g.kernelWidth + kx) * rowStride
                let valid = g.validOutputColumns(kernelColumn: kx)
                if wide, g.stride == 2 {
                    dpl_col2im_stride2_avx512(row, plane, g.outputHeight, outW, g.height, g.width,
                                              ky - g.padding, kx - g.padding, valid.lowerBound, valid.upperBound)
                    continue
                }
                for oy in 0..<g.outputHeight {
                    let iy = oy * g.stride - g.padding + ky
                    guard iy >= 0, iy < g.height else { continue }
                    let source = row + oy * outW
                    let target = plane + iy * g.width - g.padding + kx
                    if g.stride == 1 {
                        // Unit stride: a plain vector add the compiler can vectorize.
                        let from = source + valid.lowerBound, to = target + valid.lowerBound
                        for i in 0..<valid.count { to[i] += from[i] }
                    } else {
                        for ox in valid { target[ox * g.stride] += source[ox] }
                    }
                }
            }
        }
    }
}
