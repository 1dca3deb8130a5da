import Testing
import DPLTestSupport
@testable import DPLTensor

/// The convolution written as the textbook loop, for checking the im2col path.
func naiveConv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, padding: Int) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let oh = (h + 2 * padding - kh) / stride + 1, ow = (wd + 2 * padding - kw) / stride + 1
    var out = [Float](repeating: 0, count: n * o * oh * ow)
    for s in 0..<n { for oc in 0..<o { for oy in 0..<oh { for ox in 0..<ow {
        var total: Double = Double(b?.scalars[oc] ?? 0)
        for ic in 0..<c { for ky in 0..<kh { for kx in 0..<kw {
            let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
            guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
            total += Double(x.scalars[((s * c + ic) * h + iy) * wd + ix]) * Double(w.scalars[((oc * c + ic) * kh + ky) * kw + kx])
        } } }
        out[((s * o + oc) * oh + oy) * ow + ox] = Float(total)
    } } } }
    return try! Tensor(shape: [n, o, oh, ow], scalars: out)
}

/// One convolution configuration: input shape, weight shape, stride, padding, bias.
struct ConvCase: CustomTestStringConvertible, Sendable {
    let input: [Int], weight: [Int], stride: Int, padding: Int, bias: Bool
    var testDescription: String { "x\(input) w\(weight) s\(stride) p\(padding)\(bias ? " bias" : "")" }
}

let convCases: [ConvCase] = [
    ConvCase(input: [2, 3, 5, 5], weight: [4, 3, 3, 3], stride: 1, padding: 1, bias: true),
    ConvCase(input: [2, 3, 5, 5], weight: [4, 3, 3, 3], stride: 1, padding: 0, bias: false),
    ConvCase(input: [1, 2, 7, 6], weight: [3, 2, 3, 2], stride: 2, padding: 1, bias: true),
    ConvCase(input: [2, 2, 6, 6], weight: [2, 2, 4, 4], stride: 2, padding: 1, bias: false),
    ConvCase(input: [2, 4, 4, 5], weight: [3, 4, 1, 1], stride: 1, padding: 0, bias: true),
    ConvCase(input: [1, 2, 5, 5], weight: [2, 2, 1, 1], stride: 2, padding: 1, bias: true),
    ConvCase(input: [1, 1, 3, 3], weight: [2, 1, 5, 5], stride: 3, padding: 2, bias: true),
    // "Same" convolutions, whose input gradient is a convolution with the flipped kernel.
    ConvCase(input: [2, 3, 4, 6], weight: [5, 3, 3, 3], stride: 1, padding: 1, bias: true),
    ConvCase(input: [1, 2, 6, 5], weight: [3, 2, 5, 5], stride: 1, padding: 2, bias: false),
    // A single input row: the kernel's top row reads only padding.
    ConvCase(input: [2, 2, 1, 9], weight: [3, 2, 3, 3], stride: 1, padding: 1, bias: true),
]

@Suite("conv2d")
struct ConvolutionTests {
    /// Both kernel paths: the direct AVX-512 one (where the CPU has it; `with` falls back to
    /// the portable path elsewhere) and im2col + sgemm.
    static let paths: [VectorISA] = [.avx512, .portable]

    @Test(arguments: convCases, paths)
    func forwardMatchesDirectLoop(_ c: ConvCase, isa: VectorISA) throws {
        var random = TestRandom(seed: 11)
        let x = random.tensor(c.input), w = random.tensor(c.weight)
        let b = c.bias ? random.tensor([c.weight[0]]) : nil
        let y = try VectorISA.with(isa) { try Tensor.conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding) }
        let expected = naiveConv2d(x, w, b, stride: c.stride, padding: c.padding)
        #expect(y.shape == expected.shape)
        for i in 0..<y.count { #expect(abs(y.scalars[i] - expected.scalars[i]) < 1e-5) }
    }

    @Test(arguments: convCases, paths)
    func gradientsMatchFiniteDifferences(_ c: ConvCase, isa: VectorISA) throws {
        var random = TestRandom(seed: 12)
        var inputs = [random.tensor(c.input), random.tensor(c.weight)]
        if c.bias { inputs.append(random.tensor([c.weight[0]])) }
        try VectorISA.with(isa) {
            try checkGradients(inputs) { xs in
                try Tensor.conv2d(xs[0], weight: xs[1], bias: xs.count > 2 ? xs[2] : nil,
                                  stride: c.stride, padding: c.padding)
            }
        }
    }

    @Test func onlyNeededGradientsAreComputed() throws {
        var random = TestRandom(seed: 13)
        let x = random.tensor([2, 3, 4, 4]).requiringGrad(), w = random.tensor([2, 3, 3, 3])
        let y = try Tensor.conv2d(x, weight: w, padding: 1)
        let grads = try gradients(of: y.sum(), wrt: [x])
        #expect(grads[0].shape == [2, 3, 4, 4])
    }

    @Test func channelMismatchNamesBothShapes() {
        let error = #expect(throws: TensorError.self) {
            try Tensor.conv2d(.zeros([1, 3, 8, 8]), weight: .zeros([4, 2, 3, 3]))
        }
        #expect(error?.description.contains("[1, 3, 8, 8]") == true)
        #expect(error?.description.contains("[4, 2, 3, 3]") == true)
    }

    @Test func kernelLargerThanPaddedInputIsRejected() {
        let error = #expect(throws: TensorError.self) {
            try Tensor.conv2d(.zeros([1, 1, 3, 3]), weight: .zeros([1, 1, 6, 6]), padding: 1)
        }
        #expect(error?.description.contains("larger than input") == true)
    }

    @Test func badBiasStrideAndPaddingAreRejected() {
        #expect(throws: TensorError.self) { try Tensor.conv2d(.zeros([1, 1, 4, 4]), weight: .zeros([2, 1, 3, 3]), bias: .zeros([3])) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(.zeros([1, 1, 4, 4]), weight: .zeros([2, 1, 3, 3]), stride: 0) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(.zeros([1, 1, 4, 4]), weight: .zeros([2, 1, 3, 3]), padding: -1) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(.zeros([1, 4, 4]), weight: .zeros([2, 1, 3, 3])) }
    }

    // MARK: channelShift

    @Test(arguments: [(1, 1, true), (2, 1, true), (1, 0, false)])
    func channelShiftIsBitIdenticalToConvolutionPlusBroadcastAdd(stride: Int, padding: Int, withBias: Bool) throws {
        var random = TestRandom(seed: 61)
        let x = random.tensor([3, 4, 7, 7]), w = random.tensor([5, 4, 3, 3]), b = random.tensor([5])
        let shift = random.tensor([3, 5])
        let outSide = (7 + 2 * padding - 3) / stride + 1
        let seed = random.tensor([3, 5, outSide, outSide])
        func run(fused: Bool) throws -> [[UInt32]] {
            let leaves = [x.requiringGrad(), w.requiringGrad(), b.requiringGrad(), shift.requiringGrad()]
            let bias = withBias ? leaves[2] : nil
            let y = fused
                ? try Tensor.conv2d(leaves[0], weight: leaves[1], bias: bias, channelShift: leaves[3], stride: stride, padding: padding)
                : try Tensor.conv2d(leaves[0], weight: leaves[1], bias: bias, stride: stride, padding: padding)
                    + leaves[3].reshaped([3, 5, 1, 1])
            let wrt = withBias ? leaves : [leaves[0], leaves[1], leaves[3]]
            return ([y] + (try gradients(of: y, wrt: wrt, seed: seed))).map { $0.scalars.map(\.bitPattern) }
        }
        #expect(try run(fused: true) == run(fused: false))
    }

    @Test func channelShiftGradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 62)
        let inputs = [random.tensor([2, 3, 5, 5]), random.tensor([4, 3, 3, 3]), random.tensor([4]), random.tensor([2, 4])]
        try checkGradients(inputs) { xs in
            try Tensor.conv2d(xs[0], weight: xs[1], bias: xs[2], channelShift: xs[3], padding: 1)
        }
    }

    @Test func channelShiftOfTheWrongShapeIsRejected() throws {
        let error = #expect(throws: TensorError.self) {
            try Tensor.conv2d(.zeros([2, 3, 5, 5]), weight: .zeros([4, 3, 3, 3]), channelShift: .zeros([4]))
        }
        #expect(error?.description.contains("[2, 4]") == true)
        let empty = try Tensor.conv2d(.zeros([0, 3, 5, 5]), weight: .zeros([4, 3, 3, 3]), channelShift: .zeros([0, 4]))
        #expect(empty.shape == [0, 4, 3, 3])
    }

    // MARK: residual

    /// `conv2d(…, residual: r)` against `r + conv2d(…)` (the U-Net block's skip path plus its
    /// last convolution): the same bits forward and for every gradient, on the AVX-512 kernels
    /// (Winograd, direct with stride 2 and 1×1) and the portable path, with a channel shift too.
    @Test(arguments: [(3, 1, 1, 8), (3, 2, 1, 8), (1, 1, 0, 8), (3, 1, 1, 3)], [VectorISA.portable, .avx512])
    func residualIsBitIdenticalToConvolutionPlusAdd(shape: (kernel: Int, stride: Int, padding: Int, inChannels: Int),
                                                   isa: VectorISA) throws {
        guard isa == .portable || VectorISA.detected == .avx512 else { return }
        var random = TestRandom(seed: 63)
        let (k, s, p, c) = shape
        let x = random.tensor([3, c * 2, 9, 9]), w = random.tensor([16, c * 2, k, k]), b = random.tensor([16])
        let shift = random.tensor([3, 16])
        let side = (9 + 2 * p - k) / s + 1
        let residual = random.tensor([3, 16, side, side]), seed = random.tensor([3, 16, side, side])
        func run(fused: Bool) throws -> [[UInt32]] {
            try VectorISA.with(isa) {
                let leaves = [x, w, b, shift, residual].map { $0.requiringGrad() }
                let y = fused
                    ? try Tensor.conv2d(leaves[0], weight: leaves[1], bias: leaves[2], channelShift: leaves[3],
                                        residual: leaves[4], stride: s, padding: p)
                    : try leaves[4] + Tensor.conv2d(leaves[0], weight: leaves[1], bias: leaves[2],
                                                     channelShift: leaves[3], stride: s, padding: p)
                return ([y] + (try gradients(of: y, wrt: leaves, seed: seed))).map { $0.scalars.map(\.bitPattern) }
            }
        }
        #expect(try run(fused: true) == run(fused: false))
    }

    @Test func residualGradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 64)
        let inputs = [random.tensor([2, 3, 5, 5]), random.tensor([4, 3, 3, 3]), random.tensor([4]), random.tensor([2, 4, 5, 5])]
        try checkGradients(inputs) { xs in
            try Tensor.conv2d(xs[0], weight: xs[1], bias: xs[2], channelShift: nil, residual: xs[3], padding: 1)
        }
    }

    @Test func residualOfTheWrongShapeIsRejected() throws {
        let error = #expect(throws: TensorError.self) {
            try Tensor.conv2d(.zeros([2, 3, 5, 5]), weight: .zeros([4, 3, 3, 3]), channelShift: nil,
                              residual: .zeros([2, 4, 5, 5]))
        }
        #expect(error?.description.contains("[2, 4, 3, 3]") == true)
        let empty = try Tensor.conv2d(.zeros([0, 3, 5, 5]), weight: .zeros([4, 3, 3, 3]), channelShift: nil,
                                      residual: .zeros([0, 4, 3, 3]))
        #expect(empty.shape == [0, 4, 3, 3])
    }

    @Test func emptyBatchGivesEmptyOutput() throws {
        let y = try Tensor.conv2d(.zeros([0, 2, 4, 4]), weight: .ones([3, 2, 3, 3]), bias: .ones([3]), padding: 1)
        #expect(y.shape == [0, 3, 4, 4])
    }

    @Test func bitIdenticalForOneAndTwoThreads() throws {
        var random = TestRandom(seed: 14)
        // 19 samples: reduction chunks of 2 with a shorter last one.
        let x = random.tensor([19, 3, 9, 9]), w = random.tensor([5, 3, 3, 3]), b = random.tensor([5])
        let seed = random.tensor([19, 5, 5, 5])
        func run() throws -> [[Float]] {
            let leaves = [x.requiringGrad(), w.requiringGrad(), b.requiringGrad()]
            let y = try Tensor.conv2d(leaves[0], weight: leaves[1], bias: leaves[2], stride: 2, padding: 1)
            return [y.scalars] + (try gradients(of: y, wrt: leaves, seed: seed)).map(\.scalars)
        }
        let one = try EngineThreads.with(1) { try run() }
        let two = try EngineThreads.with(2) { try run() }
        for (a, b) in zip(one, two) { #expect(a.map(\.bitPattern) == b.map(\.bitPattern)) }
    }

    @Test func sameConvolutionIsBitIdenticalForOneAndTwoThreads() throws {
        var random = TestRandom(seed: 15)
        let x = random.tensor([19, 4, 7, 7]), w = random.tensor([6, 4, 3, 3]), b = random.tensor([6])
        let seed = random.tensor([19, 6, 7, 7])
        func run() throws -> [[Float]] {
            let leaves = [x.requiringGrad(), w.requiringGrad(), b.requiringGrad()]
            let y = try Tensor.conv2d(leaves[0], weight: leaves[1], bias: leaves[2], padding: 1)
            return [y.scalars] + (try gradients(of: y, wrt: leaves, seed: seed)).map(\.scalars)
        }
        let one = try EngineThreads.with(1) { try run() }
        let two = try EngineThreads.with(2) { try run() }
        for (a, b) in zip(one, two) { #expect(a.map(\.bitPattern) == b.map(\.bitPattern)) }
    }

    /// A sample's output and input gradient do not depend on the other samples in its batch
    /// (DESIGN.md: results do not depend on batch size); the weight gradient is a sum over the
    /// batch and does.
    @Test(arguments: [(1, 1), (1, 0), (2, 1)])
    func perSampleResultsDoNotDependOnTheBatch(stride: Int, padding: Int) throws {
        var random = TestRandom(seed: 16)
        let x = random.tensor([5, 3, 8, 8]), w = random.tensor([4, 3, 3, 3]), b = random.tensor([4])
        let y = try Tensor.conv2d(x, weight: w, bias: b, stride: stride, padding: padding)
        let seed = random.tensor(y.shape)
        func forwardAndInputGradient(_ input: Tensor, _ cotangent: Tensor) throws -> ([Float], [Float]) {
            let leaf = input.requiringGrad()
            let out = try Tensor.conv2d(leaf, weight: w, bias: b, stride: stride, padding: padding)
            return (out.scalars, try gradients(of: out, wrt: [leaf], seed: cotangent)[0].scalars)
        }
        let (batchOut, batchGrad) = try forwardAndInputGradient(x, seed)
        let (aloneOut, aloneGrad) = try forwardAndInputGradient(try x.gather(rows: [3]), try seed.gather(rows: [3]))
        let outSize = y.count / 5, inSize = x.count / 5
        #expect(Array(batchOut[(3 * outSize)..<(4 * outSize)]) == aloneOut)
        #expect(Array(batchGrad[(3 * inSize)..<(4 * inSize)]) == aloneGrad)
    }
}
