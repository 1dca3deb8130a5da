import Testing
import CDPLKernels
import DPLTestSupport
@testable import DPLTensor

/// One 3×3, stride-1, padding-1 problem for the Winograd kernel: batch, channels in and out,
/// plane.
struct WinogradCase: CustomTestStringConvertible, Sendable {
    let batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int
    var testDescription: String { "n\(batch) c\(inChannels)→\(outChannels) \(height)×\(width)" }
}

/// The U-Net's planes (28, 14 and 7: even and odd, the last tile row and column partial),
/// odd non-square and tiny planes, channel counts at and past the 8-channel block and the
/// thresholds (16, 17, 32, 64 in; 1 (direct), 8, 9, 10, 12, 17, 24, 32, 64 out: full blocks
/// and tails of 1, 2 and 4 rows), and every slot width of a tile row (1, 2, 4, 8, 16 and 32
/// slots: 16, 8, 4, 2, 1 tile rows per vector, or a tile row of two vectors at 40×37 for
/// F(2×2) and 9×70 for F(4×4)) with partial vectors, rows and columns of tiles.
let winogradCases: [WinogradCase] = [
    WinogradCase(batch: 2, inChannels: 32, outChannels: 32, height: 28, width: 28),
    WinogradCase(batch: 1, inChannels: 16, outChannels: 8, height: 28, width: 28),
    WinogradCase(batch: 3, inChannels: 64, outChannels: 64, height: 14, width: 14),
    WinogradCase(batch: 2, inChannels: 17, outChannels: 9, height: 7, width: 7),
    WinogradCase(batch: 1, inChannels: 32, outChannels: 1, height: 28, width: 28),
    WinogradCase(batch: 2, inChannels: 16, outChannels: 32, height: 5, width: 9),
    WinogradCase(batch: 1, inChannels: 64, outChannels: 17, height: 7, width: 7),
    WinogradCase(batch: 2, inChannels: 17, outChannels: 64, height: 14, width: 14),
    WinogradCase(batch: 1, inChannels: 16, outChannels: 16, height: 3, width: 1),
    WinogradCase(batch: 1, inChannels: 32, outChannels: 24, height: 2, width: 2),
    WinogradCase(batch: 2, inChannels: 16, outChannels: 16, height: 6, width: 4),
    WinogradCase(batch: 2, inChannels: 16, outChannels: 12, height: 14, width: 14),
    WinogradCase(batch: 1, inChannels: 32, outChannels: 10, height: 5, width: 9),
    WinogradCase(batch: 1, inChannels: 16, outChannels: 16, height: 40, width: 37),
    WinogradCase(batch: 1, inChannels: 16, outChannels: 9, height: 9, width: 70),
]

/// The tile sides the kernel implements; the direct tests run every case with each.
let winogradTileSizes = [2, 4]

/// The largest |got − expected| relative to the expected values' scale plus one.
private func winogradError(_ got: Tensor, _ expected: Tensor) -> Float {
    let scale = expected.scalars.map(abs).max() ?? 0
    let worst = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
    return worst / (scale + 1)
}

/// Winograd's transforms add inputs and weights before multiplying, so it rounds differently
/// from a sum of products. The largest error observed on these cases (against the portable
/// path and against sums in Double) is 4.7e-7 for F(2×2) and 5.6e-6 for F(4×4), whose
/// transforms scale by up to 8 and 1/24; each bound leaves ~10× room. conv2d chooses the tile
/// side by the plane, so its tests take F(4×4)'s bound.
private func winogradTolerance(tileSize: Int) -> Float { tileSize == 4 ? 5e-5 : 5e-6 }
private let conv2dTolerance = winogradTolerance(tileSize: 4)

@Suite("Winograd F(2×2, 3×3) and F(4×4, 3×3) convolution", .enabled(if: VectorISA.detected == .avx512, "needs an AVX-512 CPU"))
struct WinogradConvolutionTests {
    /// `c`'s 3×3, stride-1, padding-1 convolution.
    private func sameProblem(_ c: WinogradCase) -> ConvProblem {
        ConvProblem(batch: c.batch, outChannels: c.outChannels, geometry: ConvGeometry(
            channels: c.inChannels, height: c.height, width: c.width, kernelHeight: 3, kernelWidth: 3,
            stride: 1, padding: 1))
    }

    /// Output (with bias and shift, or without either), input gradient and weight gradient.
    private func run(_ c: WinogradCase, isa: VectorISA, threads: Int = 2, withBias: Bool) throws -> [Tensor] {
        var random = TestRandom(seed: 91)
        let x = random.tensor([c.batch, c.inChannels, c.height, c.width]).requiringGrad()
        let w = random.tensor([c.outChannels, c.inChannels, 3, 3]).requiringGrad()
        let b = random.tensor([c.outChannels])
        let shift = random.tensor([c.batch, c.outChannels])
        let seed = random.tensor([c.batch, c.outChannels, c.height, c.width])
        return try VectorISA.with(isa) {
            try EngineThreads.with(threads) {
                let y = withBias ? try Tensor.conv2d(x, weight: w, bias: b, channelShift: shift, padding: 1)
                                 : try Tensor.conv2d(x, weight: w, padding: 1)
                return [y] + (try gradients(of: y, wrt: [x, w], seed: seed))
            }
        }
    }

    @Test(arguments: winogradCases, [true, false])
    func matchesThePortablePath(_ c: WinogradCase, withBias: Bool) throws {
        let winograd = try run(c, isa: .avx512, withBias: withBias)
        let portable = try run(c, isa: .portable, withBias: withBias)
        for (name, (got, expected)) in zip(["output", "dx", "dW"], zip(winograd, portable)) {
            #expect(winogradError(got, expected) <= conv2dTolerance, "\(name)")
        }
    }

    /// The kernel itself, called directly (whatever conv2d dispatches to), against the
    /// textbook loop summed in Double.
    @Test(arguments: winogradCases.filter { $0.outChannels >= WinogradConvolution.minimumOutputChannels },
          winogradTileSizes)
    func forwardMatchesTheTextbookLoop(_ c: WinogradCase, tileSize: Int) throws {
        var random = TestRandom(seed: 92)
        let x = random.tensor([c.batch, c.inChannels, c.height, c.width])
        let w = random.tensor([c.outChannels, c.inChannels, 3, 3]), b = random.tensor([c.outChannels])
        let problem = sameProblem(c)
        var output = [Float](repeating: .nan, count: c.batch * problem.outputSampleSize)
        let kernel = try #require(w.scalars.withUnsafeBufferPointer {
            WinogradConvolution(forward: problem, weight: $0.baseAddress!, tileSize: tileSize)
        })
        x.scalars.withUnsafeBufferPointer { input in
            b.scalars.withUnsafeBufferPointer { bias in
                output.withUnsafeMutableBufferPointer {
                    kernel.applyToBatch(problem, input: input.baseAddress!, bias: bias.baseAddress!,
                                        channelShift: nil, output: $0.baseAddress!)
                }
            }
        }
        let got = try Tensor(shape: [c.batch, c.outChannels, c.height, c.width], scalars: output)
        #expect(winogradError(got, naiveConv2d(x, w, b, stride: 1, padding: 1)) <= winogradTolerance(tileSize: tileSize))
    }

    /// The input gradient's kernel (the weight transposed and flipped) called directly, against
    /// the textbook input gradient dx[c, y, x] = Σ W[o, c, ky, kx] · dy[o, y + 1 − ky, x + 1 − kx].
    @Test(arguments: winogradCases.filter {
        $0.outChannels >= WinogradConvolution.minimumInputChannels
            && $0.inChannels >= WinogradConvolution.minimumOutputChannels
    }, winogradTileSizes)
    func inputGradientMatchesTheTextbookSum(_ c: WinogradCase, tileSize: Int) throws {
        var random = TestRandom(seed: 93)
        let dy = random.tensor([c.batch, c.outChannels, c.height, c.width])
        let w = random.tensor([c.outChannels, c.inChannels, 3, 3])
        let problem = sameProblem(c)
        var dx = [Float](repeating: .nan, count: c.batch * problem.inputSampleSize)
        let kernel = try #require(w.scalars.withUnsafeBufferPointer {
            WinogradConvolution(inputGradientOf: problem, weight: $0.baseAddress!, tileSize: tileSize)
        })
        dy.scalars.withUnsafeBufferPointer { input in
            dx.withUnsafeMutableBufferPointer {
                kernel.applyToBatch(problem, input: input.baseAddress!, bias: nil, channelShift: nil,
                                    output: $0.baseAddress!)
            }
        }
        let (h, wd, o, ch) = (c.height, c.width, c.outChannels, c.inChannels)
        var expected = [Float](repeating: 0, count: dx.count)
        for n in 0..<c.batch {
            for ci in 0..<ch {
                for y in 0..<h {
                    for x in 0..<wd {
                        var total: Double = 0
                        for oi in 0..<o {
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    let sy = y + 1 - ky, sx = x + 1 - kx
                                    guard sy >= 0, sy < h, sx >= 0, sx < wd else { continue }
                                    total += Double(w.scalars[((oi * ch + ci) * 3 + ky) * 3 + kx])
                                        * Double(dy.scalars[((n * o + oi) * h + sy) * wd + sx])
                                }
                            }
                        }
                        expected[((n * ch + ci) * h + y) * wd + x] = Float(total)
                    }
                }
            }
        }
        let shape = [c.batch, ch, h, wd]
        #expect(winogradError(try Tensor(shape: shape, scalars: dx), try Tensor(shape: shape, scalars: expected))
                <= winogradTolerance(tileSize: tileSize))
    }

    /// The weight gradient's kernel called directly on all of a case's samples, against the
    /// textbook sum dW[o, c, ky, kx] = Σ_n,y,x dy[n, o, y, x] · x[n, c, y + ky − 1, x + kx − 1]
    /// in Double.
    @Test(arguments: winogradCases.filter { WinogradConvolution.supportsWeightGradient(ConvProblem(
        batch: $0.batch, outChannels: $0.outChannels, geometry: ConvGeometry(
            channels: $0.inChannels, height: $0.height, width: $0.width, kernelHeight: 3, kernelWidth: 3,
            stride: 1, padding: 1))) }, winogradTileSizes)
    func weightGradientMatchesTheTextbookSum(_ c: WinogradCase, tileSize: Int) throws {
        var random = TestRandom(seed: 95)
        let x = random.tensor([c.batch, c.inChannels, c.height, c.width])
        let dy = random.tensor([c.batch, c.outChannels, c.height, c.width])
        let problem = sameProblem(c)
        var dw = [Float](repeating: .nan, count: problem.weightSize)
        x.scalars.withUnsafeBufferPointer { input in
            dy.scalars.withUnsafeBufferPointer { gradient in
                var partial = [Float](repeating: .nan, count: WinogradConvolution.partialWeightGradientSize(problem))
                partial.withUnsafeMutableBufferPointer {
                    WinogradConvolution.partialWeightGradient(problem, samples: 0..<c.batch, input: input.baseAddress!,
                                                              gradOutput: gradient.baseAddress!, into: $0.baseAddress!,
                                                              tileSize: tileSize)
                }
                dw.withUnsafeMutableBufferPointer {
                    WinogradConvolution.finishWeightGradient(problem, partial: partial, into: $0.baseAddress!)
                }
            }
        }
        let (h, wd, o, ch) = (c.height, c.width, c.outChannels, c.inChannels)
        var expected = [Float](repeating: 0, count: dw.count)
        for oi in 0..<o {
            for ci in 0..<ch {
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        var total: Double = 0
                        for n in 0..<c.batch {
                            for y in 0..<h {
                                for xx in 0..<wd {
                                    let sy = y + ky - 1, sx = xx + kx - 1
                                    guard sy >= 0, sy < h, sx >= 0, sx < wd else { continue }
                                    total += Double(dy.scalars[((n * o + oi) * h + y) * wd + xx])
                                        * Double(x.scalars[((n * ch + ci) * h + sy) * wd + sx])
                                }
                            }
                        }
                        expected[((oi * ch + ci) * 3 + ky) * 3 + kx] = Float(total)
                    }
                }
            }
        }
        let shape = [o, ch, 3, 3]
        let error = winogradError(try Tensor(shape: shape, scalars: dw), try Tensor(shape: shape, scalars: expected))
        #expect(error <= winogradTolerance(tileSize: tileSize), "error \(error)")
    }

    @Test(arguments: winogradCases)
    func bitIdenticalForOneAndTwoThreads(_ c: WinogradCase) throws {
        let one = try run(c, isa: .avx512, threads: 1, withBias: true)
        let two = try run(c, isa: .avx512, threads: 2, withBias: true)
        for (a, b) in zip(one, two) { #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern)) }
    }

    /// A sample's output and input gradient are the same bits alone and at any place in a
    /// batch of 5.
    @Test func aSampleAloneMatchesItsPlaceInTheBatch() throws {
        var random = TestRandom(seed: 94)
        let x = random.tensor([5, 32, 14, 14]), w = random.tensor([24, 32, 3, 3]), b = random.tensor([24])
        let shift = random.tensor([5, 24]), seed = random.tensor([5, 24, 14, 14])
        func forwardAndInputGradient(_ rows: [Int]) throws -> ([Float], [Float]) {
            try VectorISA.with(.avx512) {
                let leaf = try x.gather(rows: rows).requiringGrad()
                let out = try Tensor.conv2d(leaf, weight: w, bias: b, channelShift: try shift.gather(rows: rows), padding: 1)
                return (out.scalars, try gradients(of: out, wrt: [leaf], seed: try seed.gather(rows: rows))[0].scalars)
            }
        }
        let (batchOut, batchGrad) = try forwardAndInputGradient(Array(0..<5))
        let outSize = 24 * 14 * 14, inSize = 32 * 14 * 14
        for n in 0..<5 {
            let (aloneOut, aloneGrad) = try forwardAndInputGradient([n])
            #expect(Array(batchOut[(n * outSize)..<((n + 1) * outSize)]).map(\.bitPattern) == aloneOut.map(\.bitPattern))
            #expect(Array(batchGrad[(n * inSize)..<((n + 1) * inSize)]).map(\.bitPattern) == aloneGrad.map(\.bitPattern))
        }
    }

    /// F(4×4) where it does at most ¾ of F(2×2)'s products: the U-Net's 28×28 and 14×14 planes
    /// and larger; F(2×2) on 7×7 (F(4×4)'s four tiles would fill a quarter of a vector) and
    /// smaller.
    @Test func choosesTheTileSideWithFewerProducts() {
        let sides = [(28, 28), (14, 14), (40, 37), (7, 7), (5, 9), (2, 2)].map {
            Int(dpl_winograd_tile_size(Int32($0.0), Int32($0.1)))
        }
        #expect(sides == [4, 4, 4, 2, 2, 2])
    }

    /// Which convolutions take the Winograd path: 3×3, stride 1, padding 1, at least 16
    /// channels read and 8 written (the forward's input and output channels; the input
    /// gradient's the other way round).
    @Test func supportsOnlyUnitStrideSameThreeByThreeWithEnoughChannels() {
        func geometry(kernel: Int = 3, stride: Int = 1, padding: Int = 1) -> ConvGeometry {
            ConvGeometry(channels: 32, height: 14, width: 14, kernelHeight: kernel, kernelWidth: kernel,
                         stride: stride, padding: padding)
        }
        #expect(WinogradConvolution.supports(geometry(), channelsRead: 16, channelsWritten: 8))
        #expect(!WinogradConvolution.supports(geometry(), channelsRead: 15, channelsWritten: 32))
        #expect(!WinogradConvolution.supports(geometry(), channelsRead: 32, channelsWritten: 7))
        #expect(!WinogradConvolution.supports(geometry(stride: 2), channelsRead: 32, channelsWritten: 32))
        #expect(!WinogradConvolution.supports(geometry(padding: 0), channelsRead: 32, channelsWritten: 32))
        #expect(!WinogradConvolution.supports(geometry(kernel: 5, padding: 2), channelsRead: 32, channelsWritten: 32))
        // The U-Net's head (32 → 1) and the stem's input gradient (reads 32, writes 1) stay direct.
        let head = ConvProblem(batch: 1, outChannels: 1, geometry: geometry())
        let stemGeometry = ConvGeometry(channels: 1, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3,
                                        stride: 1, padding: 1)
        let stem = ConvProblem(batch: 1, outChannels: 32, geometry: stemGeometry)
        let weight = [Float](repeating: 0, count: 32 * 32 * 9)
        weight.withUnsafeBufferPointer {
            #expect(WinogradConvolution(forward: head, weight: $0.baseAddress!) == nil)
            #expect(WinogradConvolution(inputGradientOf: stem, weight: $0.baseAddress!) == nil)
            #expect(WinogradConvolution(forward: stem, weight: $0.baseAddress!) == nil)
        }
    }

    /// conv2d packs a weight once and reuses the packing while the weight is unchanged
    /// (PackedWeightCache): the second call gives the first call's bits, and a weight changed
    /// in place gives the new weight's result, not the cached one.
    @Test func reusesThePackedWeightOnlyWhileTheWeightIsUnchanged() throws {
        let c = winogradCases[0]
        var random = TestRandom(seed: 94)
        let x = random.tensor([c.batch, c.inChannels, c.height, c.width])
        var w = random.tensor([c.outChannels, c.inChannels, 3, 3])
        let before = PackedWeightCache.shared.statistics.hits
        let first = try VectorISA.with(.avx512) { try Tensor.conv2d(x, weight: w, padding: 1) }
        let second = try VectorISA.with(.avx512) { try Tensor.conv2d(x, weight: w, padding: 1) }
        #expect(PackedWeightCache.shared.statistics.hits > before)
        #expect(first.scalars == second.scalars)
        let address = w.withUnsafeScalars { UInt(bitPattern: $0.baseAddress!) }
        w.withUnsafeMutableScalars { $0[0] += 1 }
        #expect(w.withUnsafeScalars { UInt(bitPattern: $0.baseAddress!) } == address)
        let changed = try VectorISA.with(.avx512) { try Tensor.conv2d(x, weight: w, padding: 1) }
        let portable = try VectorISA.with(.portable) { try Tensor.conv2d(x, weight: w, padding: 1) }
        #expect(changed.scalars != first.scalars)
        #expect(winogradError(changed, portable) <= conv2dTolerance)
    }
}
