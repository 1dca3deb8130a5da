import Testing
import DPLTestSupport
@testable import DPLTensor

/// Sources/CDPLKernels/activations.c against the portable Swift SiLU, sigmoid and ReLU: the
/// same bits forward and backward, for every tail length and for the edge values (NaN, ±0, ±∞).
@Suite(.enabled(if: wideKernelsAvailable, "the AVX-512 kernels are off: no CPU support, or DPL_VECTOR_ISA=portable"))
struct ActivationsAVX512Tests {
    /// SiLU, sigmoid and ReLU with their gradients for input `x` and upstream gradient `seed`.
    private func activationsAndGradients(_ x: Tensor, seed: Tensor) throws -> [Tensor] {
        let leaf = x.requiringGrad()
        let silu = leaf.silu(), sigmoid = leaf.sigmoid(), relu = leaf.relu()
        return [silu, sigmoid, relu]
            + (try gradients(of: silu, wrt: [leaf], seed: seed))
            + (try gradients(of: sigmoid, wrt: [leaf], seed: seed))
            + (try gradients(of: relu, wrt: [leaf], seed: seed))
    }

    @Test(arguments: tailCoveringLengths)
    func siluSigmoidAndReLUAreBitIdenticalForEveryLength(count: Int) throws {
        var random = TestRandom(seed: UInt64(1000 + count))
        let x = random.tensor([count], -30, 30), seed = random.tensor([count], -2, 2)
        let (portable, wide) = try onBothVectorPaths { try activationsAndGradients(x, seed: seed) }
        #expect(portable == wide)
    }

    @Test func edgeValuesGiveTheSameBits() throws {
        // Every edge value in every lane position of a 16-lane step and of the tail.
        let values: [Float] = (0..<3).flatMap { _ in edgeValues } + [1.5, -2.5, 0.25]
        for offset in 0..<17 {
            let rotated: [Float] = Array(values[offset...]) + Array(values[..<offset])
            let x = try Tensor(shape: [rotated.count], scalars: rotated)
            let seed = try Tensor(shape: [rotated.count], scalars: rotated.indices.map { Float($0 % 7) - 3 })
            let (portable, wide) = try onBothVectorPaths { try activationsAndGradients(x, seed: seed) }
            #expect(portable == wide, "offset \(offset)")
        }
    }

    @Test func wideResultsDoNotDependOnTheThreadCount() throws {
        var random = TestRandom(seed: 1100)
        let x = random.tensor([3, 70_001], -10, 10), seed = random.tensor([3, 70_001])
        let one = try EngineThreads.with(1) { try VectorISA.with(.avx512) { try bitPatterns(activationsAndGradients(x, seed: seed)) } }
        let two = try EngineThreads.with(2) { try VectorISA.with(.avx512) { try bitPatterns(activationsAndGradients(x, seed: seed)) } }
        #expect(one == two)
    }
}
