import CDPLKernels

// MARK: - Nearest-neighbour upsampling

extension Tensor {
    /// Nearest-neighbour upsampling of `[N, C, H, W]` by an integer factor:
    /// `[N, C, H·scale, W·scale]`, each input pixel repeated in a `scale × scale` block (as
    /// `torch.nn.Upsample(scale_factor: scale, mode: "nearest")`).
    ///
    /// Backward sums the gradient over each block.
    /// - Throws: `TensorError` when the input is not rank 4 or `scale < 1`.
    public func upsampleNearest(scale: Int) throws -> Tensor {
        guard rank == 4 else {
            throw TensorError("upsampleNearest", "input must be [N, C, H, W] but has shape \(shapeString(shape))")
        }
        guard scale >= 1 else {
            throw TensorError("upsampleNearest", "scale must be a whole number of at least 1 but is \(scale)")
        }
        let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        let outWidth = width * scale
        let inputPlane = height * width, outputPlane = inputPlane * scale * scale
        let chunks = chunkRanges(count: planes, size: itemsPerChunk(workPerItem: outputPlane))

        let result = Tensor.uninitialized(shape: [shape[0], shape[1], height * scale, outWidth]) { output in
            withUnsafeScalars { input in
                parallelFor(chunks.count) { chunk in
                    for plane in chunks[chunk] {
                        let source = input.baseAddress! + plane * inputPlane
                        let target = output.baseAddress! + plane * outputPlane
                        for y in 0..<height {
                            let firstRow = target + y * scale * outWidth
                            for x in 0..<width {
                                let value = source[y * width + x]
                                for dx in 0..<scale { firstRow[x * scale + dx] = value }
                            }
                            for copy in 1..<scale {
                                (firstRow + copy * outWidth).update(from: firstRow, count: outWidth)
                            }
                        }
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "upsampleNearest", inputs: [self]) { gradOutput, _ in
            // The decoder's factor 2 has an AVX-512 kernel (chosen here: workers do not see a
            // `VectorISA.with` override); other factors take the portable loop.
            let wide = scale == 2 && VectorISA.current == .avx512
            let gradInput = Tensor.uninitialized(shape: inputShape) { dx in
                gradOutput.withUnsafeScalars { dy in
                    parallelFor(chunks.count) { chunk in
                        for plane in chunks[chunk] {
                            let source = dy.baseAddress! + plane * outputPlane
                            let target = dx.baseAddress! + plane * inputPlane
                            if wide {
                                dpl_upsample_nearest2x_backward_plane_avx512(source, target, height, width)
                                continue
                            }
                            for y in 0..<height {
                                for x in 0..<width {
                                    var total: Float = 0
                                    for sy in 0..<scale {
                                        let row = source + (y * scale + sy) * outWidth + x * scale
                                        for sx in 0..<scale { total += row[sx] }
                                    }
                                    target[y * width + x] = total
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
