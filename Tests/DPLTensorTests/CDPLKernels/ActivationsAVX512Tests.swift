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

    /// Where the exponential's last scaling rounds: sigmoid(x) for x below about −87 is
    /// subnormal (e^x scaled down past the normal range) and e^x overflows near 89. The AVX-512
    /// exponential scales in one instruction where the portable path multiplies twice; every
    /// float of [−110, −80] and [80, 95] at a step of 1/64 gives the same bits on both paths.
    @Test func subnormalAndOverflowingExponentialsGiveTheSameBits() throws {
        let values: [Float] = stride(from: Float(-110), through: -80, by: 1.0 / 64).map { $0 }
            + stride(from: Float(80), through: 95, by: 1.0 / 64).map { $0 }
        let x = try Tensor(shape: [values.count], scalars: values)
        let seed = try Tensor(shape: [values.count], scalars: values.indices.map { Float($0 % 5) - 2 })
        let (portable, wide) = try onBothVectorPaths { try activationsAndGradients(x, seed: seed) }
        #expect(portable == wide)
        // The sweep does reach the subnormal results it is about.
        #expect(VectorISA.with(.portable) { x.sigmoid() }.scalars.contains { $0.isSubnormal })
    }

    @Test func wideResultsDoNotDependOnTheThreadCount() throws {
        var random = TestRandom(seed: 1100)
        let x = random.tensor([3, 70_001], -10, 10), seed = random.tensor([3, 70_001])
        let one = try EngineThreads.with(1) { try VectorISA.with(.avx512) { try bitPatterns(activationsAndGradients(x, seed: seed)) } }
        let two = try EngineThreads.with(2) { try VectorISA.with(.avx512) { try bitPatterns(activationsAndGradients(x, seed: seed)) } }
        #expect(one == two)
    }
}
