import Testing
import DPLTestSupport
@testable import DPLTensor

/// Distinct values in random order, so no pooling window has a tie.
func tieFreeTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var random = TestRandom(seed: seed)
    let count = shape.reduce(1, *)
    var values = (0..<count).map { Float($0) / Float(count) - 0.5 }
    for i in stride(from: count - 1, to: 0, by: -1) { values.swapAt(i, Int(random.next() % UInt64(i + 1))) }
    return try! Tensor(shape: shape, scalars: values)
}

/// Pooling written as the textbook loop.
func naivePool(_ x: Tensor, kernel: Int, stride: Int, max isMax: Bool) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = (h - kernel) / stride + 1, ow = (w - kernel) / stride + 1
    var out: [Float] = []
    for p in 0..<(n * c) { for oy in 0..<oh { for ox in 0..<ow {
        var values: [Float] = []
        for ky in 0..<kernel { for kx in 0..<kernel { values.append(x.scalars[p * h * w + (oy * stride + ky) * w + ox * stride + kx]) } }
        out.append(isMax ? values.max()! : values.reduce(0, +) / Float(values.count))
    } } }
    return try! Tensor(shape: [n, c, oh, ow], scalars: out)
}

@Suite("pooling")
struct PoolingTests {
    @Test(arguments: [(2, 2), (3, 1), (3, 2), (2, 3)])
    func maxPoolMatchesDirectLoopAndGradients(kernel: Int, stride: Int) throws {
        let x = tieFreeTensor([2, 3, 7, 6], seed: 21)
        let y = try x.maxPool2d(kernel: kernel, stride: stride)
        let expected = naivePool(x, kernel: kernel, stride: stride, max: true)
        #expect(y.shape == expected.shape)
        #expect(y.scalars == expected.scalars)
        // Step below half the gap between distinct values keeps every window's winner fixed.
        try checkGradients([x], step: 1e-3, atol: 5e-3) { xs in try xs[0].maxPool2d(kernel: kernel, stride: stride) }
    }

    /// Padded max pooling against the textbook loop over a −∞-padded copy of the input.
    @Test(arguments: [(3, 2, 1), (3, 1, 1), (2, 2, 1), (5, 2, 2), (3, 3, 1)])
    func paddedMaxPoolMatchesDirectLoopAndGradients(kernel: Int, stride: Int, padding: Int) throws {
        let x = tieFreeTensor([2, 3, 7, 6], seed: 23)
        let (n, c, h, w) = (2, 3, 7, 6)
        let (ph, pw) = (h + 2 * padding, w + 2 * padding)
        var padded = [Float](repeating: -.infinity, count: n * c * ph * pw)
        for p in 0..<(n * c) { for y in 0..<h { for xx in 0..<w {
            padded[p * ph * pw + (y + padding) * pw + xx + padding] = x.scalars[p * h * w + y * w + xx]
        } } }
        let expected = naivePool(try Tensor(shape: [n, c, ph, pw], scalars: padded), kernel: kernel, stride: stride, max: true)
        let y = try x.maxPool2d(kernel: kernel, stride: stride, padding: padding)
        #expect(y.shape == expected.shape)
        #expect(y.scalars == expected.scalars)
        try checkGradients([x], step: 1e-3, atol: 5e-3) { xs in try xs[0].maxPool2d(kernel: kernel, stride: stride, padding: padding) }
    }

    /// Ties go to the window's first element in row-major order, in the unrolled 2×2 path too;
    /// the uncovered last row of an odd height gets a zero gradient.
    @Test func maxPoolTiesGoToTheFirstElement() throws {
        let x = try Tensor(shape: [1, 1, 5, 4], scalars: [Float](repeating: 1, count: 20)).requiringGrad()
        let grads = try gradients(of: x.maxPool2d(kernel: 2, stride: 2).sum(), wrt: [x])
        let expected: [Float] = [1, 0, 1, 0,  0, 0, 0, 0,  1, 0, 1, 0,  0, 0, 0, 0,  0, 0, 0, 0]
        #expect(grads[0].scalars == expected)
    }

    /// ResNet's stem pooling: 3×3, stride 2, padding 1 halves 112 to 56 (and 7 to 4).
    @Test func resNetStemPoolShape() throws {
        #expect(try Tensor.zeros([1, 2, 112, 112]).maxPool2d(kernel: 3, stride: 2, padding: 1).shape == [1, 2, 56, 56])
        #expect(try Tensor.zeros([1, 2, 7, 7]).maxPool2d(kernel: 3, stride: 2, padding: 1).shape == [1, 2, 4, 4])
    }

    @Test func rejectsPaddingBeyondHalfTheKernel() {
        let error = #expect(throws: TensorError.self) { try Tensor.zeros([1, 1, 5, 5]).maxPool2d(kernel: 3, padding: 2) }
        #expect(error?.description.contains("padding") == true)
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 1, 5, 5]).maxPool2d(kernel: 3, padding: -1) }
    }

    @Test(arguments: [(2, 2), (3, 1), (3, 2), (2, 3)])
    func avgPoolMatchesDirectLoopAndGradients(kernel: Int, stride: Int) throws {
        var random = TestRandom(seed: 22)
        let x = random.tensor([2, 3, 7, 6])
        let y = try x.avgPool2d(kernel: kernel, stride: stride)
        let expected = naivePool(x, kernel: kernel, stride: stride, max: false)
        #expect(y.shape == expected.shape)
        for i in 0..<y.count { #expect(abs(y.scalars[i] - expected.scalars[i]) < 1e-6) }
        try checkGradients([x]) { xs in try xs[0].avgPool2d(kernel: kernel, stride: stride) }
    }

    @Test func strideDefaultsToKernel() throws {
        #expect(try Tensor.zeros([1, 1, 6, 4]).maxPool2d(kernel: 2).shape == [1, 1, 3, 2])
    }

    @Test func tiesSendGradientToTheFirstMaximum() throws {
        let x = try Tensor(shape: [1, 1, 2, 2], scalars: [1, 3, 3, 2]).requiringGrad()
        let grads = try gradients(of: try x.maxPool2d(kernel: 2).sum(), wrt: [x])
        #expect(grads[0].scalars == [0, 1, 0, 0])
    }

    @Test func rejectsBadWindows() {
        let error = #expect(throws: TensorError.self) { try Tensor.zeros([1, 1, 3, 3]).maxPool2d(kernel: 4) }
        #expect(error?.description.contains("[1, 1, 3, 3]") == true)
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 3, 3]).avgPool2d(kernel: 2) }
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 1, 3, 3]).avgPool2d(kernel: 2, stride: 0) }
    }

    @Test func emptyBatch() throws {
        #expect(try Tensor.zeros([0, 2, 4, 4]).maxPool2d(kernel: 2).shape == [0, 2, 2, 2])
    }
}
