// MARK: - 2-D pooling
// Windows never leave the input (no padding), as in PyTorch's defaults; `stride` defaults to
// the kernel size. Every (sample, channel) plane is independent, so planes are split across
// the engine's threads and the results do not depend on the thread count.

extension Tensor {
    /// Max pooling over `kernel × kernel` windows of an `[N, C, H, W]` tensor, moved by `stride`
    /// (default: `kernel`): `[N, C, (H − k)/s + 1, (W − k)/s + 1]`.
    ///
    /// Backward sends each window's gradient to the first maximal element of the window in
    /// row-major order (ties go to the earliest).
    /// - Throws: `TensorError` when the input is not rank 4, the kernel or stride is below 1,
    ///   or the kernel is larger than the input.
    public func maxPool2d(kernel: Int, stride: Int? = nil) throws -> Tensor {
        let window = try PoolWindow(op: "maxPool2d", inputShape: shape, kernel: kernel, stride: stride ?? kernel)
        let outputCount = window.planes * window.outputPlane
        var argmax = [Int32](repeating: 0, count: outputCount)
        let result = Tensor.uninitialized(shape: window.outputShape) { output in
            withUnsafeScalars { input in
                argmax.withUnsafeMutableBufferPointer { winners in
                    window.forEachPlaneChunk { plane in
                        maxPoolPlane(window, input: input.baseAddress! + plane * window.inputPlane,
                                     output: output.baseAddress! + plane * window.outputPlane,
                                     winners: winners.baseAddress! + plane * window.outputPlane)
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "maxPool2d", inputs: [self]) { gradOutput, _ in
            var gradInput = Tensor.zeros(inputShape)
            gradInput.withUnsafeMutableScalars { dx in
                gradOutput.withUnsafeScalars { dy in
                    argmax.withUnsafeBufferPointer { winners in
                        window.forEachPlaneChunk { plane in
                            let target = dx.baseAddress! + plane * window.inputPlane
                            let offset = plane * window.outputPlane
                            for i in offset..<(offset + window.outputPlane) { target[Int(winners[i])] += dy[i] }
                        }
                    }
                }
            }
            return [gradInput]
        }
    }

    /// Average pooling over `kernel × kernel` windows of an `[N, C, H, W]` tensor, moved by
    /// `stride` (default: `kernel`). Backward spreads each window's gradient evenly over it.
    /// - Throws: `TensorError` when the input is not rank 4, the kernel or stride is below 1,
    ///   or the kernel is larger than the input.
    public func avgPool2d(kernel: Int, stride: Int? = nil) throws -> Tensor {
        let window = try PoolWindow(op: "avgPool2d", inputShape: shape, kernel: kernel, stride: stride ?? kernel)
        let scale = 1 / Float(kernel * kernel)
        let result = Tensor.uninitialized(shape: window.outputShape) { output in
            withUnsafeScalars { input in
                window.forEachPlaneChunk { plane in
                    let source = input.baseAddress! + plane * window.inputPlane
                    let target = output.baseAddress! + plane * window.outputPlane
                    window.forEachWindow { outIndex, windowStart in
                        var total: Float = 0
                        for ky in 0..<kernel {
                            let row = source + windowStart + ky * window.width
                            for kx in 0..<kernel { total += row[kx] }
                        }
                        target[outIndex] = total * scale
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "avgPool2d", inputs: [self]) { gradOutput, _ in
            var gradInput = Tensor.zeros(inputShape)
            gradInput.withUnsafeMutableScalars { dx in
                gradOutput.withUnsafeScalars { dy in
                    window.forEachPlaneChunk { plane in
                        let target = dx.baseAddress! + plane * window.inputPlane
                        let source = dy.baseAddress! + plane * window.outputPlane
                        window.forEachWindow { outIndex, windowStart in
                            let share = source[outIndex] * scale
                            for ky in 0..<kernel {
                                let row = target + windowStart + ky * window.width
                                for kx in 0..<kernel { row[kx] += share }
                            }
                        }
                    }
                }
            }
            return [gradInput]
        }
    }
}

// MARK: - Kernels

/// One plane of max pooling: the maximum of each window and the input index of its first
/// maximum.
private func maxPoolPlane(_ window: PoolWindow, input: UnsafePointer<Float>,
                          output: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<Int32>) {
    window.forEachWindow { outIndex, windowStart in
        // Start from the window's first element and replace only on a strictly larger value,
        // so the earliest maximum wins ties.
        var bestIndex = windowStart
        var best = input[windowStart]
        for ky in 0..<window.kernel {
            let rowStart = windowStart + ky * window.width
            for kx in 0..<window.kernel {
                let value = input[rowStart + kx]
                if value > best {
                    best = value
                    bestIndex = rowStart + kx
                }
            }
        }
        output[outIndex] = best
        winners[outIndex] = Int32(bestIndex)
    }
}

// MARK: - Window geometry

/// The sizes of a pooling call over `[N, C, H, W]` with square windows and no padding.
struct PoolWindow {
    let batch: Int, channels: Int, height: Int, width: Int
    let kernel: Int, stride: Int

    init(op: String, inputShape: [Int], kernel: Int, stride: Int) throws {
        guard inputShape.count == 4 else {
            throw TensorError(op, "input must be [N, C, H, W] but has shape \(shapeString(inputShape))")
        }
        guard kernel >= 1, stride >= 1 else {
            throw TensorError(op, "kernel and stride must be at least 1 but are \(kernel) and \(stride)")
        }
        guard kernel <= inputShape[2], kernel <= inputShape[3] else {
            throw TensorError(op, "kernel \(kernel)×\(kernel) is larger than input \(shapeString(inputShape)); use a smaller kernel")
        }
        (batch, channels, height, width) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        self.kernel = kernel
        self.stride = stride
    }

    var outputHeight: Int { (height - kernel) / stride + 1 }
    var outputWidth: Int { (width - kernel) / stride + 1 }
    var outputShape: [Int] { [batch, channels, outputHeight, outputWidth] }
    var planes: Int { batch * channels }
    var inputPlane: Int { height * width }
    var outputPlane: Int { outputHeight * outputWidth }

    /// Calls `body(plane)` for every (sample, channel) plane, planes split across threads.
    func forEachPlaneChunk(_ body: (Int) -> Void) {
        let chunks = chunkRanges(count: planes, size: itemsPerChunk(workPerItem: inputPlane))
        parallelFor(chunks.count) { chunk in
            for plane in chunks[chunk] { body(plane) }
        }
    }

    /// Calls `body(outputIndex, windowStart)` for every window of one plane, where
    /// `windowStart` is the plane index of the window's top-left element.
    @inline(__always)
    func forEachWindow(_ body: (Int, Int) -> Void) {
        for oy in 0..<outputHeight {
            for ox in 0..<outputWidth {
                body(oy * outputWidth + ox, oy * stride * width + ox * stride)
            }
        }
    }
}
