import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("reductions")
struct ReductionsTests {
    let x = try! Tensor(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])

    @Test func sumsOverAxes() throws {
        #expect(try x.sum(axes: [0]).scalars == [5, 7, 9])
        #expect(try x.sum(axes: [1]).scalars == [9, 12])
        #expect(try x.sum(axes: [-1], keepingDims: true).shape == [2, 1])
        #expect(try x.sum(axes: [0, 1]).shape == [])
        #expect(x.sum().scalars == [21])
        #expect(try x.mean(axes: [1]).scalars == [3, 4])
        #expect(x.mean().scalars == [3.5])
    }

    @Test func badAxesAreErrors() {
        #expect(throws: TensorError.self) { try x.sum(axes: [2]) }
        #expect(throws: TensorError.self) { try x.sum(axes: [1, -1]) }
        #expect(throws: TensorError.self) { try x.argmax(axis: 3) }
    }

    @Test func sumOverNonAdjacentAxesMatchesNaiveLoop() throws {
        var random = TestRandom(seed: 40)
        let t = random.tensor([3, 4, 5, 6])
        let s = try t.sum(axes: [0, 2])
        #expect(s.shape == [4, 6])
        for c in 0..<4 { for w in 0..<6 {
            var total: Float = 0
            for n in 0..<3 { for h in 0..<5 { total += t.scalars[((n * 4 + c) * 5 + h) * 6 + w] } }
            #expect(Swift.abs(s.scalars[c * 6 + w] - total) < 1e-5)
        } }
    }

    @Test func maximumAndArgmaxPickFirstMaximum() throws {
        let tied = try Tensor(shape: [2, 3], scalars: [7, 1, 7, 0, 2, 2])
        #expect(try tied.maximum(axes: [1]).scalars == [7, 2])
        #expect(try tied.argmax(axis: 1) == [0, 1])
        #expect(try tied.argmax(axis: 0) == [0, 1, 0])
        let leaf = tied.requiringGrad()
        let grad = try gradients(of: try leaf.maximum(axes: [1]), wrt: [leaf])[0]
        #expect(grad.scalars == [1, 0, 0, 0, 1, 0])
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 41)
        let t = random.tensor([2, 3, 4])
        try checkGradients([t]) { v in try v[0].sum(axes: [0, 2]) }
        try checkGradients([t]) { v in try v[0].sum(axes: [1], keepingDims: true) }
        try checkGradients([t]) { v in try v[0].mean(axes: [2]) }
        try checkGradients([t]) { v in v[0].mean() }
        try checkGradients([t]) { v in v[0].sum() }
        try checkGradients([t]) { v in try v[0].maximum(axes: [1]) }
        try checkGradients([t]) { v in try v[0].maximum(axes: [0, 2], keepingDims: true) }
    }

    @Test func sumIsIndependentOfHowTheInputWasBuilt() throws {
        // Fixed order: the same values always give the same bits.
        var random = TestRandom(seed: 42)
        let t = random.tensor([1000])
        let copy = try Tensor(shape: [1000], scalars: t.scalars)
        #expect(t.sum().scalars == copy.sum().scalars)
        #expect(try t.sum(axes: [0]).scalars == t.sum().scalars)
    }
}
