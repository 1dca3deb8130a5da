import Testing
import DPLTestSupport
@testable import DPLTensor

/// Sources/CDPLKernels/upsampling.c against the portable gradient of 2× nearest upsampling:
/// the same bits for every row-width remainder (the forward pass is shared and checked too).
@Suite(.enabled(if: wideKernelsAvailable, "the AVX-512 kernels are off: no CPU support, or DPL_VECTOR_ISA=portable"))
struct UpsamplingAVX512Tests {
    private func upsampledAndGradient(_ x: Tensor, seed: Tensor) throws -> [Tensor] {
        let leaf = x.requiringGrad()
        let y = try leaf.upsampleNearest(scale: 2)
        return [y] + (try gradients(of: y, wrt: [leaf], seed: seed))
    }

    @Test(arguments: Array(1...33) + [49])
    func upsamplingIsBitIdenticalForEveryWidth(width: Int) throws {
        var random = TestRandom(seed: UInt64(3000 + width))
        for height in [1, 3] {
            let x = random.tensor([2, 3, height, width], -4, 4)
            let seed = random.tensor([2, 3, 2 * height, 2 * width], -1, 1)
            let (portable, wide) = try onBothVectorPaths { try upsampledAndGradient(x, seed: seed) }
            #expect(portable == wide, "height \(height)")
        }
    }

    @Test func signedZerosAndNonFiniteGradientsGiveTheSameBits() throws {
        // A block of −0s sums to +0 from the portable path's +0 start; inf − inf gives NaN.
        let x = try Tensor(shape: [1, 1, 2, 17], scalars: (0..<34).map { Float($0) })
        var seed = [Float](repeating: -0.0, count: 4 * 34)
        seed[2] = .infinity; seed[3] = -.infinity; seed[40] = .nan; seed[100] = 3e38; seed[101] = 3e38
        let (portable, wide) = try onBothVectorPaths {
            try upsampledAndGradient(x, seed: Tensor(shape: [1, 1, 4, 34], scalars: seed))
        }
        #expect(withCanonicalNaNs(portable) == withCanonicalNaNs(wide))
        #expect(wide[1][0] == Float(0).bitPattern)   // the −0 block: +0
    }

    @Test func otherFactorsKeepThePortableLoops() throws {
        var random = TestRandom(seed: 3100)
        let x = random.tensor([1, 2, 3, 5])
        let (portable, wide) = try onBothVectorPaths { [try x.upsampleNearest(scale: 3)] }
        #expect(portable == wide)
    }

    @Test func wideResultsDoNotDependOnTheThreadCount() throws {
        var random = TestRandom(seed: 3200)
        let x = random.tensor([8, 16, 14, 14]), seed = random.tensor([8, 16, 28, 28])
        func run() throws -> [[UInt32]] { try VectorISA.with(.avx512) { try bitPatterns(upsampledAndGradient(x, seed: seed)) } }
        let one = try EngineThreads.with(1) { try run() }
        let two = try EngineThreads.with(2) { try run() }
        #expect(one == two)
    }
}
