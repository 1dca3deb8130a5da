// MARK: - 2-D pooling
// Windows never leave the input unless max pooling is asked for padding; `stride` defaults to
// the kernel size. Every (sample, channel) plane is independent, so planes are split across
// the engine's threads and the results do not depend on the thread count.

extension Tensor {
    /// Max pooling over `kernel × kernel` windows of an `[N, C, H, W]` tensor, moved by `stride`
    /// (default: `kernel`), with `padding` rows and columns of −∞ around the input (PyTorch's
    /// `max_pool2d`; ResNet's stem uses kernel 3, stride 2, padding 1):
    /// `[N, C, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1]`.
    ///
    /// Backward sends each window's gradient to the first maximal element of the window in
    /// row-major order (ties go to the earliest); padding never wins, as padding is at most
    /// half the kernel, so every window holds at least one input element.
    /// - Throws: `TensorError` when the input is not rank 4, the kernel or stride is below 1,
    ///   the padding is negative or more than half the kernel, or the kernel is larger than
    ///   the padded input.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) throws -> Tensor {
        let window = try PoolWindow(op: "maxPool2d", inputShape: shape, kernel: kernel, stride: stride ?? kernel, padding: padding)
        let outputCount = window.planes * window.outputPlane
        var argmax = [Int32](repeating: 0, count: outputCount)
        let result = Tensor.uninitialized(shape: window.outputShape) { output in
            withUnsafeScalars { input in
                argmax.withUnsafeMutableBufferPointer { winners in
                    window.forEachPlaneChunk { plane in
                        let pool = window.padding > 0 ? maxPoolPlanePadded
                            : window.kernel == 2 && window.stride == 2 ? maxPoolPlane2x2 : maxPoolPlane
                        pool(window, input.baseAddress! + plane * window.inputPlane,
                             output.baseAddress! + plane * window.outputPlane,
                             winners.baseAddress! + plane * window.outputPlane)
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, op: "maxPool2d", inputs: [self]) { gradOutput, _ in
            // Every window lies inside its plane, so each worker zeroes its own planes just
            // before scattering into them (in cache) instead of one serial fill beforehand.
            var gradInput = overwritableTensor(inputShape)
            gradInput.withUnsafeMutableScalars { dx in
                gradOutput.withUnsafeScalars { dy in
                    argmax.withUnsafeBufferPointer { winners in
                        window.forEachPlaneChunk { plane in
                            let target = dx.baseAddress! + plane * window.inputPlane
                            target.update(repeating: 0, count: window.inputPlane)
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
private func maxPoolPlane(_ window: PoolWindow, _ input: UnsafePointer<Float>,
                          _ output: UnsafeMutablePointer<Float>, _ winners: UnsafeMutablePointer<Int32>) {
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

/// `maxPoolPlane` for 2×2 windows moved by 2 (every classifier's downsampling), unrolled: the
/// same comparisons in the same order (row-major, replace only on a strictly larger value), so
/// the same maxima and winners, without the generic loop's per-window bookkeeping.
private func maxPoolPlane2x2(_ window: PoolWindow, _ input: UnsafePointer<Float>,
                             _ output: UnsafeMutablePointer<Float>, _ winners: UnsafeMutablePointer<Int32>) {
    let width = window.width
    for oy in 0..<window.outputHeight {
        let top = 2 * oy * width
        let outRow = oy * window.outputWidth
        for ox in 0..<window.outputWidth {
            let start = top + 2 * ox
            var bestIndex = start
            var best = input[start]
            if input[start + 1] > best { best = input[start + 1]; bestIndex = start + 1 }
            if input[start + width] > best { best = input[start + width]; bestIndex = start + width }
            if input[start + width + 1] > best { best = input[start + width + 1]; bestIndex = start + width + 1 }
            output[outRow + ox] = best
            winners[outRow + ox] = Int32(bestIndex)
        }
    }
}

/// One plane of padded max pooling: windows are clipped to the input, which is the same as
/// padding with −∞ (every window keeps at least one input element, since padding ≤ kernel/2).
private func maxPoolPlanePadded(_ window: PoolWindow, _ input: UnsafePointer<Float>,
                                _ output: UnsafeMutablePointer<Float>, _ winners: UnsafeMutablePointer<Int32>) {
    for oy in 0..<window.outputHeight {
        let top = oy * window.stride - window.padding
        let rows = max(0, top)..<min(window.height, top + window.kernel)
        for ox in 0..<window.outputWidth {
            let left = ox * window.stride - window.padding
            let columns = max(0, left)..<min(window.width, left + window.kernel)
            var bestIndex = rows.lowerBound * window.width + columns.lowerBound
            var best = input[bestIndex]
            for y in rows {
                for x in columns where input[y * window.width + x] > best {
                    best = input[y * window.width + x]
                    bestIndex = y * window.width + x
                }
            }
            output[oy * window.outputWidth + ox] = best
            winners[oy * window.outputWidth + ox] = Int32(bestIndex)
        }
    }
}

// MARK: - Window geometry

/// The sizes of a pooling call over `[N, C, H, W]` with square windows (padding: max pooling only).
struct PoolWindow {
    let batch: Int, channels: Int, height: Int, width: Int
    let kernel: Int, stride: Int, padding: Int

    init(op: String, inputShape: [Int], kernel: Int, stride: Int, padding: Int = 0) throws {
        guard inputShape.count == 4 else {
            throw TensorError(op, "input must be [N, C, H, W] but has shape \(shapeString(inputShape))")
        }
        guard kernel >= 1, stride >= 1 else {
            throw TensorError(op, "kernel and stride must be at least 1 but are \(kernel) and \(stride)")
        }
        guard padding >= 0, padding <= kernel / 2 else {
            throw TensorError(op, "padding must be from 0 to half the kernel (\(kernel / 2)) but is \(padding)")
        }
        guard kernel <= inputShape[2] + 2 * padding, kernel <= inputShape[3] + 2 * padding else {
            throw TensorError(op, "kernel \(kernel)×\(kernel) is larger than input \(shapeString(inputShape))\(padding > 0 ? " padded by \(padding)" : ""); use a smaller kernel")
        }
        (batch, channels, height, width) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    var outputHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outputWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
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
