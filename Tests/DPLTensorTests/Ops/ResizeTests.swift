import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("resizeBilinear")
struct ResizeTests {
    /// x = arange(12)^1.5 / 7 as [1, 1, 3, 4], as PyTorch 2 computes it in float32.
    static let input: [Float] = [0.0, 0.1428571492433548, 0.4040610194206238, 0.7423074841499329, 1.1428571939468384,
                                 1.5971914529800415, 2.099562644958496, 2.645751476287842, 3.2324881553649902,
                                 3.857142925262451, 4.5175395011901855, 5.211838722229004]

    /// `F.interpolate(x, size=…, mode='bilinear', align_corners=False)` printed by PyTorch 2.
    @Test func matchesPyTorchEnlargingAndShrinking() throws {
        let x = try Tensor(shape: [1, 1, 3, 4], scalars: Self.input)
        let enlarged: [Float] = [0.0, 0.0714285746216774, 0.18639114499092102, 0.36052706837654114, 0.5731842517852783,
                                 0.7423074841499329, 0.7142857313156128, 0.8830509185791016, 1.1204715967178345,
                                 1.3950940370559692, 1.69785475730896, 1.931959867477417, 1.926468849182129,
                                 2.1855709552764893, 2.538278341293335, 2.912698745727539, 3.307169198989868,
                                 3.608034133911133, 3.2324881553649902, 3.5448155403137207, 3.9672091007232666,
                                 4.407473087310791, 4.864689350128174, 5.211838722229004]
        let shrunk: [Float] = [0.3225020468235016, 0.6671885848045349, 1.1531298160552979, 2.8070929050445557,
                               3.60260009765625, 4.460771560668945]
        for (size, expected) in [((4, 6), enlarged), ((2, 3), shrunk)] {
            let y = try x.resizeBilinear(height: size.0, width: size.1)
            #expect(y.shape == [1, 1, size.0, size.1])
            for (got, want) in zip(y.scalars, expected) {
                #expect(abs(got - want) <= 1e-6 * max(1, abs(want)), "\(size): \(got) vs PyTorch \(want)")
            }
        }
    }

    @Test func sameSizeIsTheIdentity() throws {
        var random = TestRandom(seed: 3)
        let x = random.tensor([2, 3, 5, 7])
        #expect(try x.resizeBilinear(height: 5, width: 7).scalars == x.scalars)
    }

    /// 7:8 both ways, the ratio of DiffPure's 224 ↔ 256, on several planes.
    @Test(arguments: [(7, 8), (8, 7), (3, 5), (5, 2)])
    func gradientsMatchFiniteDifferences(from: Int, to: Int) throws {
        var random = TestRandom(seed: 41)
        let x = random.tensor([2, 2, from, from + 1])
        try checkGradients([x]) { xs in try xs[0].resizeBilinear(height: to, width: to + 1) }
    }

    @Test func theSameBitsOnAnyThreadCount() throws {
        var random = TestRandom(seed: 5)
        let x = random.tensor([3, 3, 28, 28]).requiringGrad()
        func run() throws -> ([Float], [Float]) {
            let y = try withGradients { try x.resizeBilinear(height: 32, width: 32) }
            let w = try Tensor(shape: y.shape, scalars: (0..<y.count).map { Float($0 % 13) - 6 })
            return (y.scalars, try gradients(of: y, wrt: [x], seed: w)[0].scalars)
        }
        let one = try EngineThreads.with(1) { try run() }
        let two = try EngineThreads.with(2) { try run() }
        #expect(one.0 == two.0 && one.1 == two.1)
    }

    @Test func rejectsBadInput() {
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 3]).resizeBilinear(height: 2, width: 2) }
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 1, 2, 2]).resizeBilinear(height: 0, width: 2) }
    }
}
