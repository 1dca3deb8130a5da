import Testing
import DPLTestSupport
@testable import DPLTensor

/// The broadcast binary kernel split over workers (Kernels/ElementwiseBinary.swift): every
/// element equals the scalar formula at its broadcast coordinates, for any thread count.
@Suite struct ElementwiseBinaryTests {
    /// Shapes past one parallel piece (65 536 elements): one long run, a scalar operand, a
    /// per-channel bias (many runs), a row broadcast against a column (strided runs).
    static let cases: [(a: [Int], b: [Int])] = [
        ([3, 50_001], [3, 50_001]),
        ([200_003], [1]),
        ([9, 32, 28, 28], [1, 32, 1, 1]),
        ([1, 70_001], [3, 1]),
        ([5, 1, 7], [1, 4, 1]),
    ]

    @Test(arguments: 0..<cases.count)
    func splitOpsMatchTheScalarFormulaAndDoNotDependOnThreads(index: Int) throws {
        let (shapeA, shapeB) = Self.cases[index]
        var random = TestRandom(seed: UInt64(4000 + index))
        let a = random.tensor(shapeA, -3, 3), b = random.tensor(shapeB, 0.5, 2)
        let outShape = try #require(broadcastedShape(shapeA, shapeB))
        let one = try EngineThreads.with(1) { [try a + b, try a - b, try a * b, try a / b].map(\.scalars) }
        let two = try EngineThreads.with(2) { [try a + b, try a - b, try a * b, try a / b].map(\.scalars) }
        #expect(one.map { $0.map(\.bitPattern) } == two.map { $0.map(\.bitPattern) })

        // The reference: each output coordinate read back into both operands.
        let stridesA = broadcastStrides(shapeA, toRank: outShape.count)
        let stridesB = broadcastStrides(shapeB, toRank: outShape.count)
        let (xa, xb) = (a.scalars, b.scalars)
        var mismatches = 0
        for flat in stride(from: 0, to: outShape.reduce(1, *), by: 7) {
            var rest = flat, ia = 0, ib = 0
            for axis in stride(from: outShape.count - 1, through: 0, by: -1) {
                let i = rest % outShape[axis]
                rest /= outShape[axis]
                ia += i * stridesA[axis]
                ib += i * stridesB[axis]
            }
            let expected = [xa[ia] + xb[ib], xa[ia] - xb[ib], xa[ia] * xb[ib], xa[ia] / xb[ib]]
            for op in 0..<4 where two[op][flat].bitPattern != expected[op].bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
}
