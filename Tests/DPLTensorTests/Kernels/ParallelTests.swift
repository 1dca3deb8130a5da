import Testing
import DPLTestSupport
import Foundation
@testable import DPLTensor

@Suite("parallelFor and thread policy")
struct ParallelTests {
    @Test func everyChunkRunsExactlyOnce() {
        for threads in [1, 2, 3] {
            var hits = [Int](repeating: 0, count: 37)
            hits.withUnsafeMutableBufferPointer { counts in
                EngineThreads.with(threads) { parallelFor(37) { counts[$0] += 1 } }
            }
            #expect(hits == [Int](repeating: 1, count: 37))
        }
    }

    @Test func nestedLoopsRunAndFinish() {
        var hits = [Int](repeating: 0, count: 16)
        hits.withUnsafeMutableBufferPointer { counts in
            EngineThreads.with(2) {
                parallelFor(4) { outer in parallelFor(4) { inner in counts[outer * 4 + inner] += 1 } }
            }
        }
        #expect(hits == [Int](repeating: 1, count: 16))
    }

    @Test func threadCountIsAtLeastOneAndRestored() {
        let before = EngineThreads.count
        EngineThreads.with(0) { #expect(EngineThreads.count == 1) }
        #expect(EngineThreads.count == before)
    }

    @Test func scopedCountAppliesToTheCallingThreadOnly() {
        EngineThreads.with(7) {
            #expect(EngineThreads.count == 7)
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var seenElsewhere = 0
            Thread.detachNewThread {
                seenElsewhere = EngineThreads.count
                done.signal()
            }
            done.wait()
            #expect(seenElsewhere != 7)
        }
    }

    @Test func chunkRangesCoverTheCountInOrder() {
        #expect(chunkRanges(count: 7, size: 3) == [0..<3, 3..<6, 6..<7])
        #expect(chunkRanges(count: 0, size: 3).isEmpty)
    }

    @Test func sgemmIsBitIdenticalForOneAndTwoThreads() throws {
        var random = TestRandom(seed: 51)
        let a = random.tensor([300, 257]), b = random.tensor([257, 301])
        let one = try EngineThreads.with(1) { try a.matmul(b) }
        let two = try EngineThreads.with(2) { try a.matmul(b) }
        #expect(one.scalars.map(\.bitPattern) == two.scalars.map(\.bitPattern))
    }
}
