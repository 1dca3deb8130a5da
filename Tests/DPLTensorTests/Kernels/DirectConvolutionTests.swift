import Testing
import DPLTestSupport
@testable import DPLTensor

/// One problem for the direct AVX-512 convolution: batch, channels in and out, plane, square
/// kernel and padding.
struct DirectConvCase: CustomTestStringConvertible, Sendable {
    let batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int, padding: Int
    var stride = 1
    var testDescription: String {
        "n\(batch) c\(inChannels)→\(outChannels) \(height)×\(width) k\(kernel) p\(padding) s\(stride)"
    }
}

/// The U-Net's and the CNN's shapes, and every tail of the kernel: odd and narrow widths, 7×7
/// planes, one input channel, output channels that are not a multiple of the 8-channel block
/// (1–7, 9, 13, 17), batches of 1 and 5, tiles of 1, 2 and 3 vectors, "valid" convolutions,
/// 5×5 and 2×2 kernels, paddings wider than k − 1, and stride 2 (the U-Net's downsampling) on even and odd sizes.
let directConvCases: [DirectConvCase] = [
    DirectConvCase(batch: 2, inChannels: 1, outChannels: 32, height: 28, width: 28, kernel: 3, padding: 1),
    DirectConvCase(batch: 1, inChannels: 32, outChannels: 32, height: 28, width: 28, kernel: 3, padding: 1),
    DirectConvCase(batch: 5, inChannels: 32, outChannels: 64, height: 14, width: 14, kernel: 3, padding: 1),
    DirectConvCase(batch: 2, inChannels: 128, outChannels: 64, height: 7, width: 7, kernel: 3, padding: 1),
    DirectConvCase(batch: 1, inChannels: 32, outChannels: 1, height: 28, width: 28, kernel: 3, padding: 1),
    DirectConvCase(batch: 5, inChannels: 3, outChannels: 5, height: 7, width: 7, kernel: 3, padding: 1),
    DirectConvCase(batch: 1, inChannels: 2, outChannels: 3, height: 9, width: 11, kernel: 3, padding: 1),
    DirectConvCase(batch: 5, inChannels: 4, outChannels: 7, height: 5, width: 13, kernel: 3, padding: 1),
    DirectConvCase(batch: 1, inChannels: 5, outChannels: 9, height: 3, width: 3, kernel: 3, padding: 1),
    DirectConvCase(batch: 2, inChannels: 6, outChannels: 13, height: 1, width: 17, kernel: 3, padding: 1),
    DirectConvCase(batch: 1, inChannels: 7, outChannels: 17, height: 15, width: 1, kernel: 3, padding: 1),
    DirectConvCase(batch: 2, inChannels: 3, outChannels: 6, height: 6, width: 6, kernel: 3, padding: 0),
    DirectConvCase(batch: 1, inChannels: 3, outChannels: 2, height: 8, width: 7, kernel: 5, padding: 2),
    DirectConvCase(batch: 2, inChannels: 2, outChannels: 4, height: 6, width: 5, kernel: 2, padding: 1),
    // Padding wider than k − 1: the padded grid widens from W + p to the output's width.
    DirectConvCase(batch: 2, inChannels: 3, outChannels: 9, height: 6, width: 5, kernel: 3, padding: 3),
    DirectConvCase(batch: 1, inChannels: 2, outChannels: 8, height: 4, width: 7, kernel: 2, padding: 2),
    DirectConvCase(batch: 2, inChannels: 32, outChannels: 32, height: 28, width: 28, kernel: 3, padding: 1, stride: 2),
    DirectConvCase(batch: 5, inChannels: 64, outChannels: 64, height: 14, width: 14, kernel: 3, padding: 1, stride: 2),
    DirectConvCase(batch: 1, inChannels: 3, outChannels: 5, height: 7, width: 9, kernel: 3, padding: 1, stride: 2),
    DirectConvCase(batch: 2, inChannels: 4, outChannels: 3, height: 9, width: 8, kernel: 3, padding: 0, stride: 2),
    DirectConvCase(batch: 1, inChannels: 2, outChannels: 9, height: 6, width: 6, kernel: 4, padding: 1, stride: 2),
    DirectConvCase(batch: 1, inChannels: 3, outChannels: 17, height: 5, width: 11, kernel: 5, padding: 2, stride: 2),
    // The U-Net's pointwise skip convolutions, and 1×1 tails.
    DirectConvCase(batch: 2, inChannels: 96, outChannels: 32, height: 28, width: 28, kernel: 1, padding: 0),
    DirectConvCase(batch: 3, inChannels: 32, outChannels: 64, height: 14, width: 14, kernel: 1, padding: 0),
    DirectConvCase(batch: 2, inChannels: 128, outChannels: 64, height: 7, width: 7, kernel: 1, padding: 0),
    DirectConvCase(batch: 1, inChannels: 3, outChannels: 5, height: 5, width: 9, kernel: 1, padding: 0),
]

@Suite("direct AVX-512 convolution", .enabled(if: VectorISA.detected == .avx512, "needs an AVX-512 CPU"))
struct DirectConvolutionTests {
    /// Output, input, weight and bias gradients, and the channel shift's gradient.
    private func run(_ c: DirectConvCase, isa: VectorISA, threads: Int = 2) throws -> [Tensor] {
        var random = TestRandom(seed: 71)
        let x = random.tensor([c.batch, c.inChannels, c.height, c.width]).requiringGrad()
        let w = random.tensor([c.outChannels, c.inChannels, c.kernel, c.kernel]).requiringGrad()
        let b = random.tensor([c.outChannels]).requiringGrad()
        let shift = random.tensor([c.batch, c.outChannels]).requiringGrad()
        return try VectorISA.with(isa) {
            try EngineThreads.with(threads) {
                let y = try Tensor.conv2d(x, weight: w, bias: b, channelShift: shift, stride: c.stride, padding: c.padding)
                let seed = random.tensor(y.shape)
                return [y] + (try gradients(of: y, wrt: [x, w, b, shift], seed: seed))
            }
        }
    }

    @Test(arguments: directConvCases)
    func matchesThePortablePath(_ c: DirectConvCase) throws {
        let direct = try run(c, isa: .avx512), portable = try run(c, isa: .portable)
        for (name, (got, expected)) in zip(["output", "dx", "dW", "db", "dshift"], zip(direct, portable)) {
            // Only the summation order differs: a few float roundings of a sum of C·k² terms.
            #expect(relativeError(got, expected) <= 1e-5, "\(name)")
        }
    }

    @Test(arguments: directConvCases)
    func matchesTheTextbookLoop(_ c: DirectConvCase) throws {
        var random = TestRandom(seed: 72)
        let x = random.tensor([c.batch, c.inChannels, c.height, c.width])
        let w = random.tensor([c.outChannels, c.inChannels, c.kernel, c.kernel]), b = random.tensor([c.outChannels])
        let y = try VectorISA.with(.avx512) { try Tensor.conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding) }
        // Float rounding of sums of up to C·k² = 576 terms against a sum in Double.
        #expect(relativeError(y, naiveConv2d(x, w, b, stride: c.stride, padding: c.padding)) <= 1e-5)
    }

    @Test(arguments: directConvCases)
    func bitIdenticalForOneAndTwoThreads(_ c: DirectConvCase) throws {
        let one = try run(c, isa: .avx512, threads: 1), two = try run(c, isa: .avx512, threads: 2)
        for (a, b) in zip(one, two) { #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern)) }
    }

    /// A sample's output and input gradient are the same bits alone and at any place in a batch.
    @Test func aSampleAloneMatchesItsPlaceInTheBatch() throws {
        var random = TestRandom(seed: 73)
        let x = random.tensor([9, 6, 14, 14]), w = random.tensor([11, 6, 3, 3]), b = random.tensor([11])
        let shift = random.tensor([9, 11]), seed = random.tensor([9, 11, 14, 14])
        func forwardAndInputGradient(_ rows: [Int]) throws -> ([Float], [Float]) {
            try VectorISA.with(.avx512) {
                let leaf = try x.gather(rows: rows).requiringGrad()
                let out = try Tensor.conv2d(leaf, weight: w, bias: b, channelShift: try shift.gather(rows: rows), padding: 1)
                return (out.scalars, try gradients(of: out, wrt: [leaf], seed: try seed.gather(rows: rows))[0].scalars)
            }
        }
        let (batchOut, batchGrad) = try forwardAndInputGradient(Array(0..<9))
        let outSize = 11 * 14 * 14, inSize = 6 * 14 * 14
        for n in [0, 4, 8] {
            let (aloneOut, aloneGrad) = try forwardAndInputGradient([n])
            #expect(Array(batchOut[(n * outSize)..<((n + 1) * outSize)]).map(\.bitPattern) == aloneOut.map(\.bitPattern))
            #expect(Array(batchGrad[(n * inSize)..<((n + 1) * inSize)]).map(\.bitPattern) == aloneGrad.map(\.bitPattern))
        }
    }

    /// Infinite and NaN inputs propagate as they would through the sum (the discarded grid
    /// columns next to them must not leak into real outputs).
    @Test func nonFiniteInputsStayWhereTheyBelong() throws {
        var scalars = [Float](repeating: 1, count: 2 * 5 * 5)
        scalars[12] = .infinity  // channel 0, centre
        let x = try Tensor(shape: [1, 2, 5, 5], scalars: scalars)
        let w = Tensor.ones([3, 2, 3, 3])
        let direct = try VectorISA.with(.avx512) { try Tensor.conv2d(x, weight: w, padding: 1) }
        let portable = try VectorISA.with(.portable) { try Tensor.conv2d(x, weight: w, padding: 1) }
        #expect(direct.scalars.map(\.isInfinite) == portable.scalars.map(\.isInfinite))
        #expect(direct.scalars.filter(\.isInfinite).count == 3 * 9)
    }

    /// At the ends of rows: one zero column between rows is both the right padding of one row
    /// and the left padding of the next, so a value at a row's end must reach no output at the
    /// next row's start (and the other way round).
    @Test func nonFiniteInputsAtRowEndsStayInTheirRows() throws {
        for position in [4, 5, 9, 10, 24] {
            var scalars = [Float](repeating: 1, count: 5 * 5)
            scalars[position] = .infinity
            let x = try Tensor(shape: [1, 1, 5, 5], scalars: scalars)
            let w = Tensor.ones([8, 1, 3, 3])
            let direct = try VectorISA.with(.avx512) { try Tensor.conv2d(x, weight: w, padding: 1) }
            let portable = try VectorISA.with(.portable) { try Tensor.conv2d(x, weight: w, padding: 1) }
            #expect(direct.scalars.map(\.isInfinite) == portable.scalars.map(\.isInfinite), "input \(position)")
        }
    }

    /// conv2d sends 3×3 unit-stride convolutions with ≥ 16 channels to Winograd, so the tests
    /// above no longer reach the direct kernel on those shapes (which it still serves when
    /// Winograd is not supported there): its forward and input gradient called directly,
    /// against the textbook loop and the portable input gradient.
    @Test(arguments: directConvCases.filter { $0.stride == 1 && $0.kernel == 3 && $0.padding == 1 && $0.inChannels >= 16 })
    func theDirectKernelItselfOnShapesWinogradTakes(_ c: DirectConvCase) throws {
        var random = TestRandom(seed: 73)
        let x = random.tensor([c.batch, c.inChannels, c.height, c.width])
        let w = random.tensor([c.outChannels, c.inChannels, 3, 3]), b = random.tensor([c.outChannels])
        let problem = ConvProblem(batch: c.batch, outChannels: c.outChannels, geometry: ConvGeometry(
            channels: c.inChannels, height: c.height, width: c.width, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
        func apply(_ kernel: DirectConvolution, to input: Tensor, bias: Tensor?, count: Int) -> [Float] {
            var output = [Float](repeating: .nan, count: count)
            input.scalars.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { out in
                    if let bias {
                        bias.scalars.withUnsafeBufferPointer {
                            kernel.applyToBatch(problem, input: source.baseAddress!, bias: $0.baseAddress!, channelShift: nil, output: out.baseAddress!)
                        }
                    } else {
                        kernel.applyToBatch(problem, input: source.baseAddress!, bias: nil, channelShift: nil, output: out.baseAddress!)
                    }
                }
            }
            return output
        }
        let forward = try #require(w.scalars.withUnsafeBufferPointer { DirectConvolution(forward: problem, weight: $0.baseAddress!) })
        let y = try Tensor(shape: [c.batch, c.outChannels, c.height, c.width],
                           scalars: apply(forward, to: x, bias: b, count: c.batch * problem.outputSampleSize))
        #expect(relativeError(y, naiveConv2d(x, w, b, stride: 1, padding: 1)) <= 1e-5)

        let dy = random.tensor([c.batch, c.outChannels, c.height, c.width])
        let backward = try #require(w.scalars.withUnsafeBufferPointer { DirectConvolution(inputGradientOf: problem, weight: $0.baseAddress!) })
        let dx = try Tensor(shape: x.shape, scalars: apply(backward, to: dy, bias: nil, count: c.batch * problem.inputSampleSize))
        let leaf = x.requiringGrad()
        let expected = try VectorISA.with(.portable) {
            try gradients(of: try Tensor.conv2d(leaf, weight: w, bias: b, stride: 1, padding: 1), wrt: [leaf], seed: dy)[0]
        }
        #expect(relativeError(dx, expected) <= 1e-5)
    }
}
