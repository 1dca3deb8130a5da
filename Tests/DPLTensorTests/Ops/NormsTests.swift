import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("norms")
struct NormsTests {
    let x = try! Tensor(shape: [2, 2, 2], scalars: [3, -4, 0, 0, 1, -1, 2, -2])

    @Test func valuesPerSample() throws {
        #expect(try x.norm(p: .l1).scalars == [7, 6])
        #expect(try x.norm(p: .l2).scalars == [5, Float(10).squareRoot()])
        #expect(try x.norm(p: .linf).scalars == [4, 2])
        #expect(throws: TensorError.self) { try Tensor(1).norm(p: .l2) }
    }

    @Test func l2GradientAtZeroIsZeroNotNaN() throws {
        let zero = Tensor.zeros([2, 3]).requiringGrad()
        let g = try gradients(of: try zero.norm(p: .l2), wrt: [zero])[0]
        #expect(g.scalars.allSatisfy { $0 == 0 })
    }

    @Test func linfGradientGoesToFirstLargestElement() throws {
        let leaf = x.requiringGrad()
        let g = try gradients(of: try leaf.norm(p: .linf), wrt: [leaf])[0]
        #expect(g.scalars == [0, -1, 0, 0, 0, 0, 1, 0])
    }

    @Test(arguments: [NormKind.l1, .l2, .linf])
    func gradientsMatchFiniteDifferences(kind: NormKind) throws {
        var random = TestRandom(seed: 90)
        var x = random.tensor([3, 2, 4])
        // One clear largest magnitude per sample, so Linf is away from its kink (a near tie).
        for n in 0..<3 { x.scalars[n * 8 + (n * 3) % 8] = n == 1 ? -1.5 : 1.5 }
        try checkGradients([x]) { v in try v[0].norm(p: kind) }
    }
}
