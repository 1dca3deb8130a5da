import Testing
import DPLTestSupport
@testable import DPLTensor

/// Sources/CDPLKernels/normalization.c against the portable Swift group norm: the same bits
/// for the output, the saved statistics' effect on the gradients, and all three gradients,
/// with and without the fused SiLU.
@Suite(.enabled(if: wideKernelsAvailable, "the AVX-512 kernels are off: no CPU support, or DPL_VECTOR_ISA=portable"))
struct NormalizationAVX512Tests {
    /// Output and the gradients for input, gamma and beta.
    private func groupNormAndGradients(_ x: Tensor, groups: Int, gamma: Tensor, beta: Tensor,
                                       seed: Tensor, fused: Bool) throws -> [Tensor] {
        let leaves = [x.requiringGrad(), gamma.requiringGrad(), beta.requiringGrad()]
        let y = fused ? try leaves[0].groupNormSiLU(groups: groups, gamma: leaves[1], beta: leaves[2])
                      : try leaves[0].groupNorm(groups: groups, gamma: leaves[1], beta: leaves[2])
        return [y] + (try gradients(of: y, wrt: leaves, seed: seed))
    }

    /// Spatial sizes with every remainder of 8 and 16 in a channel plane and in a group.
    static let spatialSizes: [Int] = Array(1...33) + [49, 784]

    @Test(arguments: spatialSizes, [false, true])
    func groupNormIsBitIdenticalForEveryPlaneSize(spatial: Int, fused: Bool) throws {
        var random = TestRandom(seed: UInt64(2000 + spatial))
        // 3 channels per group: groups of 3·spatial elements, so the statistics' tails differ
        // from the planes' tails.
        let shape = [2, 6, spatial]
        let x = random.tensor(shape, -3, 4), seed = random.tensor(shape, -1, 1)
        let gamma = random.tensor([6], 0.5, 1.5), beta = random.tensor([6], -0.5, 0.5)
        let (portable, wide) = try onBothVectorPaths {
            try groupNormAndGradients(x, groups: 2, gamma: gamma, beta: beta, seed: seed, fused: fused)
        }
        #expect(portable == wide)
    }

    static let unetShapes: [(shape: [Int], groups: Int)] = [([4, 32, 28, 28], 8), ([3, 64, 7, 7], 8), ([2, 5, 3, 3], 5), ([1, 4, 17], 1)]

    @Test(arguments: 0..<unetShapes.count, [false, true])
    func groupNormIsBitIdenticalForUNetShapes(index: Int, fused: Bool) throws {
        let (shape, groups) = Self.unetShapes[index]
        var random = TestRandom(seed: 2100)
        let x = random.tensor(shape, -5, 5), seed = random.tensor(shape, -1, 1)
        let gamma = random.tensor([shape[1]]), beta = random.tensor([shape[1]])
        let (portable, wide) = try onBothVectorPaths {
            try groupNormAndGradients(x, groups: groups, gamma: gamma, beta: beta, seed: seed, fused: fused)
        }
        #expect(portable == wide)
    }

    @Test(arguments: [false, true])
    func largeAndTinyInputsGiveTheSameBits(fused: Bool) throws {
        // Huge and tiny magnitudes (the statistics in Double, the normalized values near the
        // exponential's clamps) and a constant group (zero variance).
        var random = TestRandom(seed: 2200)
        var scalars = random.tensor([2, 4, 19], -1, 1).scalars
        for i in 0..<19 { scalars[i] *= 1e30; scalars[19 + i] *= 1e-35; scalars[38 + i] = 7 }
        scalars[60] = 3e38; scalars[61] = -3e38
        let x = try Tensor(shape: [2, 4, 19], scalars: scalars)
        let seed = random.tensor([2, 4, 19])
        let gamma = try Tensor(shape: [4], scalars: [1, 100, -3, 0.5]), beta = try Tensor(shape: [4], scalars: [0, -90, 95, 1])
        let (portable, wide) = try onBothVectorPaths {
            try groupNormAndGradients(x, groups: 4, gamma: gamma, beta: beta, seed: seed, fused: fused)
        }
        #expect(portable == wide)
    }

    @Test(arguments: [false, true])
    func nonFiniteInputsGiveTheSameBits(fused: Bool) throws {
        var random = TestRandom(seed: 2300)
        var scalars = random.tensor([2, 4, 21], -1, 1).scalars
        scalars[3] = .nan; scalars[30] = .infinity; scalars[70] = -.infinity
        let x = try Tensor(shape: [2, 4, 21], scalars: scalars)
        let seed = random.tensor([2, 4, 21]), gamma = random.tensor([4]), beta = random.tensor([4])
        let (portable, wide) = try onBothVectorPaths {
            try groupNormAndGradients(x, groups: 2, gamma: gamma, beta: beta, seed: seed, fused: fused)
        }
        // Every finite value bit for bit; NaN where the portable path has NaN (see withCanonicalNaNs).
        #expect(withCanonicalNaNs(portable) == withCanonicalNaNs(wide))
        // The sample without non-finite inputs is untouched by them, on both paths.
        #expect(portable[0][84...].allSatisfy { !Float(bitPattern: $0).isNaN })
    }

    @Test func wideResultsDoNotDependOnTheThreadCount() throws {
        var random = TestRandom(seed: 2400)
        let x = random.tensor([6, 32, 14, 14]), seed = random.tensor([6, 32, 14, 14])
        let gamma = random.tensor([32]), beta = random.tensor([32])
        func run() throws -> [[UInt32]] {
            try VectorISA.with(.avx512) {
                try bitPatterns(groupNormAndGradients(x, groups: 8, gamma: gamma, beta: beta, seed: seed, fused: true))
            }
        }
        let one = try EngineThreads.with(1) { try run() }
        let two = try EngineThreads.with(2) { try run() }
        #expect(one == two)
    }

    @Test func wideGradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 2500)
        let inputs = [random.tensor([2, 4, 3, 3], -2, 3), random.tensor([4]), random.tensor([4])]
        try VectorISA.with(.avx512) {
            try checkGradients(inputs, step: 5e-3) { xs in try xs[0].groupNormSiLU(groups: 2, gamma: xs[1], beta: xs[2]) }
        }
    }
}
