import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("arithmetic operators")
struct OperatorsTests {
    @Test func valuesWithScalarsBothOrders() throws {
        let x = try Tensor(shape: [3], scalars: [1, 2, 4])
        #expect((x + 1).scalars == [2, 3, 5])
        #expect((1 + x).scalars == [2, 3, 5])
        #expect((x - 1).scalars == [0, 1, 3])
        #expect((1 - x).scalars == [0, -1, -3])
        #expect((x * 2).scalars == [2, 4, 8])
        #expect((2 * x).scalars == [2, 4, 8])
        #expect((x / 2).scalars == [0.5, 1, 2])
        #expect((4 / x).scalars == [4, 2, 1])
        #expect((-x).scalars == [-1, -2, -4])
        #expect(try (x * x + x).scalars == [2, 6, 20])
    }

    @Test(arguments: [([2, 3], [2, 3]), ([2, 3], [3]), ([2, 1, 3], [4, 1]), ([], [2, 2]), ([1, 3, 1, 1], [2, 3, 2, 2])])
    func binaryGradientsWithBroadcasting(shapeA: [Int], shapeB: [Int]) throws {
        var random = TestRandom(seed: 20)
        let a = random.tensor(shapeA), b = random.tensor(shapeB, 0.5, 2)   // b away from 0 for division
        try checkGradients([a, b]) { x in try x[0] + x[1] }
        try checkGradients([a, b]) { x in try x[0] - x[1] }
        try checkGradients([a, b]) { x in try x[0] * x[1] }
        try checkGradients([a, b]) { x in try x[0] / x[1] }
    }

    @Test func scalarOperandGradients() throws {
        var random = TestRandom(seed: 21)
        let a = random.tensor([2, 3], 0.5, 2)
        try checkGradients([a]) { x in x[0] + 3 }
        try checkGradients([a]) { x in 3 - x[0] }
        try checkGradients([a]) { x in x[0] * 1.5 }
        try checkGradients([a]) { x in 2 / x[0] }
        try checkGradients([a]) { x in x[0] / 4 }
        try checkGradients([a]) { x in -x[0] }
    }
}
