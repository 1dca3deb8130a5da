import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("broadcasting")
struct BroadcastingTests {
    @Test func shapesFollowNumPyRules() throws {
        #expect(try Tensor.broadcastShape([64, 32, 28, 28], [1, 32, 1, 1]) == [64, 32, 28, 28])
        #expect(try Tensor.broadcastShape([3, 1], [4]) == [3, 4])
        #expect(try Tensor.broadcastShape([], [2, 3]) == [2, 3])
        #expect(try Tensor.broadcastShape([5, 1, 7], [1, 6, 1]) == [5, 6, 7])
    }

    @Test func incompatibleShapesNameBoth() {
        let error = #expect(throws: TensorError.self) { try Tensor.zeros([2, 3]) + Tensor.zeros([4, 3]) }
        #expect(error?.description.contains("[2, 3]") == true)
        #expect(error?.description.contains("[4, 3]") == true)
    }

    @Test func expandedMatchesIndexing() throws {
        var random = TestRandom(seed: 10)
        let x = random.tensor([3, 1, 2])
        let y = try x.expanded(to: [2, 3, 4, 2])
        for a in 0..<2 { for b in 0..<3 { for c in 0..<4 { for d in 0..<2 {
            #expect(y.scalars[((a * 3 + b) * 4 + c) * 2 + d] == x.scalars[b * 2 + d])
        } } } }
        #expect(throws: TensorError.self) { try x.expanded(to: [3, 5, 3]) }
    }

    @Test func reducedSumsBroadcastAxes() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(try x.reduced(toShape: [3]).scalars == [5, 7, 9])
        #expect(try x.reduced(toShape: [2, 1]).scalars == [6, 15])
        #expect(try x.reduced(toShape: []).scalars == [21])
        #expect(throws: TensorError.self) { try x.reduced(toShape: [2]) }
    }

    @Test func expandedAndReducedGradients() throws {
        var random = TestRandom(seed: 11)
        try checkGradients([random.tensor([1, 3, 1])]) { x in try x[0].expanded(to: [2, 3, 4]) }
        try checkGradients([random.tensor([2, 3, 4])]) { x in try x[0].reduced(toShape: [3, 1]) }
    }

    @Test func perChannelBiasMatchesNaiveLoop() throws {
        var random = TestRandom(seed: 12)
        let x = random.tensor([2, 3, 4, 5]), bias = random.tensor([1, 3, 1, 1])
        let y = try x + bias
        for i in 0..<x.count { #expect(y.scalars[i] == x.scalars[i] + bias.scalars[(i / 20) % 3]) }
        // A strided (non-mergeable) broadcast: [2,1,4,1] against [1,3,1,5].
        let a = random.tensor([2, 1, 4, 1]), b = random.tensor([1, 3, 1, 5])
        let z = try a * b
        #expect(z.shape == [2, 3, 4, 5])
        for n in 0..<2 { for c in 0..<3 { for h in 0..<4 { for w in 0..<5 {
            #expect(z.scalars[((n * 3 + c) * 4 + h) * 5 + w] == a.scalars[n * 4 + h] * b.scalars[c * 5 + w])
        } } } }
    }
}
