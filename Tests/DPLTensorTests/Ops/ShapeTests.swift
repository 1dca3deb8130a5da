import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("shape ops")
struct ShapeTests {
    @Test func reshapeWithWildcard() throws {
        let x = Tensor.zeros([2, 3, 4])
        #expect(try x.reshaped([-1, 4]).shape == [6, 4])
        #expect(try x.flattened().shape == [2, 12])
        #expect(try x.flattened(startAxis: 0).shape == [24])
        #expect(try x.unsqueezed(axis: 1).shape == [2, 1, 3, 4])
        #expect(try x.unsqueezed(axis: -1).shape == [2, 3, 4, 1])
        #expect(try x.unsqueezed(axis: 0).squeezed(axis: 0).shape == [2, 3, 4])
        let error = #expect(throws: TensorError.self) { try x.reshaped([5, -1]) }
        #expect(error?.description.contains("[2, 3, 4]") == true)
        #expect(throws: TensorError.self) { try x.reshaped([-1, -1]) }
        #expect(throws: TensorError.self) { try x.squeezed(axis: 0) }
    }

    @Test func permuteMatchesIndexing() throws {
        var random = TestRandom(seed: 50)
        let x = random.tensor([2, 3, 4, 5])
        let y = try x.permuted([0, 2, 3, 1])   // NCHW → NHWC
        #expect(y.shape == [2, 4, 5, 3])
        for n in 0..<2 { for c in 0..<3 { for h in 0..<4 { for w in 0..<5 {
            #expect(y.scalars[((n * 4 + h) * 5 + w) * 3 + c] == x.scalars[((n * 3 + c) * 4 + h) * 5 + w])
        } } } }
        let m = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(try m.transposed().scalars == [1, 4, 2, 5, 3, 6])
        #expect(throws: TensorError.self) { try x.permuted([0, 1, 1, 2]) }
        #expect(throws: TensorError.self) { try x.transposed() }
    }

    @Test func concatSliceAndGatherValues() throws {
        let a = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), b = try Tensor(shape: [2, 1], scalars: [5, 6])
        let c = try Tensor.concat([a, b], axis: 1)
        #expect(c.shape == [2, 3] && c.scalars == [1, 2, 5, 3, 4, 6])
        #expect(try Tensor.concat([a, a], axis: 0).scalars == [1, 2, 3, 4, 1, 2, 3, 4])
        let error = #expect(throws: TensorError.self) { try Tensor.concat([a, b], axis: 0) }
        #expect(error?.description.contains("[2, 1]") == true)
        #expect(try c.slice(axis: 1, range: 1..<3).scalars == [2, 5, 4, 6])
        #expect(throws: TensorError.self) { try c.slice(axis: 1, range: 2..<4) }
        #expect(try c.gather(rows: [1, 1, 0]).scalars == [3, 4, 6, 3, 4, 6, 1, 2, 5])
        let bad = #expect(throws: TensorError.self) { try c.gather(rows: [0, 2]) }
        #expect(bad?.description.contains("2") == true)
    }

    /// Batches large enough that concat's and slice's copies are split across the engine's
    /// workers: the same values as an element-by-element concatenation, for 1 and 2 threads.
    @Test func concatAndSliceOfLargeBatchesCopyEveryRow() throws {
        var random = TestRandom(seed: 52)
        let a = random.tensor([9, 64, 14, 14]), b = random.tensor([9, 32, 14, 14])
        var expected: [Float] = []
        for n in 0..<9 {
            expected += a.scalars[(n * 64 * 196)..<((n + 1) * 64 * 196)]
            expected += b.scalars[(n * 32 * 196)..<((n + 1) * 32 * 196)]
        }
        for threads in [1, 2] {
            let joined = try EngineThreads.with(threads) { try Tensor.concat([a, b], axis: 1) }
            #expect(joined.shape == [9, 96, 14, 14])
            #expect(joined.scalars == expected)
            let back = try EngineThreads.with(threads) { try joined.slice(axis: 1, range: 64..<96) }
            #expect(back.scalars == b.scalars)
        }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 51)
        let x = random.tensor([2, 3, 4])
        try checkGradients([x]) { v in try v[0].reshaped([4, -1]) }
        try checkGradients([x]) { v in try v[0].permuted([2, 0, 1]) }
        try checkGradients([random.tensor([3, 5])]) { v in try v[0].transposed() }
        try checkGradients([x, random.tensor([2, 1, 4])]) { v in try Tensor.concat([v[0], v[1]], axis: 1) }
        try checkGradients([x]) { v in try v[0].slice(axis: 2, range: 1..<3) }
        try checkGradients([x]) { v in try v[0].gather(rows: [1, 0, 1]) }   // repeated row: scatter-add
        try checkGradients([x]) { v in try v[0].unsqueezed(axis: 0).squeezed(axis: 0).flattened() }
    }
}
