// MARK: - Bilinear resizing
// DiffPure's ImageNet evaluation (eval_sde_adv.py, `SDE_Adv_Model.forward`) resizes 224×224
// images to the 256×256 of its diffusion model and back with
// `F.interpolate(x, size=…, mode='bilinear', align_corners=False)`; this is that op, so the
// defense and its gradient can be replayed exactly. Every (sample, channel) plane is
// independent, so planes are split across the engine's threads and the backward pass adds
// into each input plane in one fixed order: results do not depend on the thread count.

extension Tensor {
    /// Bilinear resizing of `[N, C, H, W]` to `[N, C, height, width]`, as PyTorch's
    /// `F.interpolate(mode='bilinear', align_corners=False)` without antialiasing: output pixel
    /// y reads the input at s = (y + ½)·H/height − ½ (clamped at 0), from rows ⌊s⌋ and ⌊s⌋ + 1
    /// (the last row repeats at the edge) with weights 1 − (s − ⌊s⌋) and s − ⌊s⌋; columns
    /// likewise. Shrinking therefore samples, it does not average (as upstream).
    ///
    /// Backward sends each output's gradient to its four input pixels with the same weights.
    /// - Throws: `TensorError` when the input is not rank 4 or a size is below 1.
    public func resizeBilinear(height: Int, width: Int) throws -> Tensor {
        guard rank == 4 else {
            throw TensorError("resizeBilinear", "input must be [N, C, H, W] but has shape \(shapeString(shape))")
        }
        guard height >= 1, width >= 1 else {
            throw TensorError("resizeBilinear", "the size must be at least 1×1 but is \(height)×\(width)")
        }
        let rows = BilinearTaps(inputSize: shape[2], outputSize: height)
        let columns = BilinearTaps(inputSize: shape[3], outputSize: width)
        let planes = shape[0] * shape[1]
        let inputWidth = shape[3]
        let inputPlane = shape[2] * inputWidth, outputPlane = height * width
        let chunks = chunkRanges(count: planes, size: itemsPerChunk(workPerItem: outputPlane))

        let result = Tensor.uninitialized(shape: [shape[0], shape[1], height, width]) { output in
            withUnsafeScalars { input in
                parallelFor(chunks.count) { chunk in
                    for plane in chunks[chunk] {
                        let source = input.baseAddress! + plane * inputPlane
                        let target = output.baseAddress! + plane * outputPlane
                        for y in 0..<height {
                            let top = source + rows.first[y] * inputWidth
                            let bottom = source + rows.second[y] * inputWidth
                            let (wTop, wBottom) = (rows.firstWeight[y], rows.secondWeight[y])
                            for x in 0..<width {
                                let (x0, x1) = (columns.first[x], columns.second[x])
                                let (wLeft, wRight) = (columns.firstWeight[x], columns.secondWeight[x])
                                // PyTorch's order: along the row first, then across the rows.
                                let upper = top[x0] * wLeft + top[x1] * wRight
                                let lower = bottom[x0] * wLeft + bottom[x1] * wRight
                                target[y * width + x] = upper * wTop + lower * wBottom
                            }
                        }
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "resizeBilinear", inputs: [self]) { gradOutput, _ in
            var gradInput = Tensor.zeros(inputShape)
            gradInput.withUnsafeMutableScalars { dx in
                gradOutput.withUnsafeScalars { dy in
                    parallelFor(chunks.count) { chunk in
                        for plane in chunks[chunk] {
                            let source = dy.baseAddress! + plane * outputPlane
                            let target = dx.baseAddress! + plane * inputPlane
                            for y in 0..<height {
                                let top = target + rows.first[y] * inputWidth
                                let bottom = target + rows.second[y] * inputWidth
                                let (wTop, wBottom) = (rows.firstWeight[y], rows.secondWeight[y])
                                for x in 0..<width {
                                    let g = source[y * width + x]
                                    let (x0, x1) = (columns.first[x], columns.second[x])
                                    let (wLeft, wRight) = (columns.firstWeight[x], columns.secondWeight[x])
                                    top[x0] += g * wTop * wLeft
                                    top[x1] += g * wTop * wRight
                                    bottom[x0] += g * wBottom * wLeft
                                    bottom[x1] += g * wBottom * wRight
                                }
                            }
                        }
                    }
                }
            }
            return [gradInput]
        }
    }
}

/// The two input indices and weights each output index of one axis reads, computed in float32
/// as PyTorch's CPU kernel does (aten/src/ATen/native/UpSample.h,
/// `area_pixel_compute_source_index`; cpu/UpSampleKernel.cpp, `compute_indices_weights_linear`).
struct BilinearTaps {
    /// The lower input index ⌊s⌋ of each output index.
    var first: [Int] = []
    /// The upper input index: ⌊s⌋ + 1, or ⌊s⌋ at the last input index.
    var second: [Int] = []
    /// The weight of `first`, 1 − (s − ⌊s⌋).
    var firstWeight: [Float] = []
    /// The weight of `second`, s − ⌊s⌋.
    var secondWeight: [Float] = []

    init(inputSize: Int, outputSize: Int) {
        let scale = Float(inputSize) / Float(outputSize)
        for index in 0..<outputSize {
            let source = max(scale * (Float(index) + 0.5) - 0.5, 0)
            let lower = min(Int(source), inputSize - 1)
            let fraction = source - Float(lower)
            first.append(lower)
            second.append(lower < inputSize - 1 ? lower + 1 : lower)
            firstWeight.append(1 - fraction)
            secondWeight.append(fraction)
        }
    }
}
