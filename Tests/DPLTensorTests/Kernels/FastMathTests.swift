import Foundation
import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("vectorized exp and logistic")
struct FastMathTests {
    /// The distance in units in the last place between two finite floats of the same sign.
    private func ulps(_ a: Float, _ b: Float) -> Int {
        Int(a.bitPattern) - Int(b.bitPattern)
    }

    @Test func expIsWithinTwoUlpOfFoundationOverTheNormalRange() {
        var random = TestRandom(seed: 90)
        var worst = 0
        // Random points over the whole normal range, plus a dense sweep of [−10, 10].
        let points = (0..<20_000).map { _ in random.uniform(-87.3, 88.7) }
            + stride(from: Float(-10), through: 10, by: 0.001).map { $0 }
        for start in stride(from: 0, to: points.count - 7, by: 8) {
            let x = SIMD8<Float>((0..<8).map { points[start + $0] })
            let y = vectorExp(x)
            for lane in 0..<8 { worst = max(worst, Swift.abs(ulps(y[lane], expf(x[lane])))) }
        }
        #expect(worst <= 2)
    }

    @Test func expHandlesTheEdgesLikeExpf() {
        let x = SIMD8<Float>(0, -0.0, 1, -1, -200, 200, .infinity, -.infinity)
        let y = vectorExp(x)
        #expect(y[0] == 1 && y[1] == 1)
        #expect(Swift.abs(ulps(y[2], expf(1))) <= 1 && Swift.abs(ulps(y[3], expf(-1))) <= 1)
        #expect(y[4] == 0 && y[5] == .infinity && y[6] == .infinity && y[7] == 0)
        #expect(vectorExp(SIMD8(repeating: .nan))[0].isNaN)
    }

    @Test func logisticMatchesTheFormulaAndSaturates() {
        var random = TestRandom(seed: 91)
        for _ in 0..<500 {
            let x = SIMD8<Float>((0..<8).map { _ in random.uniform(-30, 30) })
            let y = vectorLogistic(x)
            for lane in 0..<8 {
                let v = Double(x[lane])
                let reference = v >= 0 ? 1 / (1 + Foundation.exp(-v)) : Foundation.exp(v) / (1 + Foundation.exp(v))
                #expect(Swift.abs(Double(y[lane]) - reference) <= 3e-7 * max(reference, 1e-30) + 1e-38)
            }
        }
        let edges = vectorLogistic(SIMD8(-200, 200, 0, -90, 90, 1e-8, -1e-8, 50))
        #expect(edges[0] == 0 && edges[1] == 1 && edges[2] == 0.5 && edges[4] == 1 && edges[7] == 1)
    }

    @Test func mapGivesTheSameBitsWhereverAnElementSits() throws {
        // A value's result must not depend on its position (vector body or padded tail) or on
        // the batch around it: SiLU of a prefix equals the prefix of SiLU.
        var random = TestRandom(seed: 92)
        let x = random.tensor([1, 70_003], -8, 8)
        let whole = x.silu().scalars
        let prefix = try Tensor(shape: [13], scalars: Array(x.scalars[5..<18])).silu().scalars
        #expect(Array(whole[5..<18]) == prefix)
        let two = EngineThreads.with(2) { x.silu().scalars }
        let one = EngineThreads.with(1) { x.silu().scalars }
        #expect(one == two && one == whole)
    }
}
