import Foundation
import Testing
@testable import DPLTensor

/// The cache may only ever return what packing the weight now would return: a changed weight
/// at the same address is packed again, and memory stays within the budget.
struct PackedWeightCacheTests {
    /// A stand-in packing whose output depends on every weight float: each doubled.
    private func lookup(_ cache: PackedWeightCache, _ weight: [Float], layout: PackedWeightCache.Layout = .direct(transposeFlip: false),
                        owner: AnyObject? = nil, packs: inout Int) -> PackedWeight {
        var calls = 0
        let packed = weight.withUnsafeBufferPointer { w in
            cache.packed(layout, weight: w.baseAddress!, identity: owner.map(ObjectIdentifier.init),
                         weightCount: w.count, shape: [w.count],
                         packedCount: w.count) { target in
                calls += 1
                for i in w.indices { target[i] = 2 * w[i] }
            }
        }
        packs += calls
        return packed
    }

    private func values(_ packed: PackedWeight) -> [Float] {
        Array(UnsafeBufferPointer(start: packed.pointer, count: packed.count))
    }

    @Test func anUnchangedWeightIsPackedOnce() {
        let cache = PackedWeightCache(byteBudget: 1 << 20, staleAfter: 100)
        let weight: [Float] = [1, 2, 3, 4]
        var packs = 0
        let first = lookup(cache, weight, packs: &packs)
        let second = lookup(cache, weight, packs: &packs)
        #expect(packs == 1)
        #expect(first === second)
        #expect(values(second) == [2, 4, 6, 8])
        #expect(cache.statistics.hits == 1 && cache.statistics.misses == 1)
    }

    /// At a bare address (no parameter to name the weight), a changed weight is taken for
    /// another weight that reuses the memory: packed again and cached in the old one's place.
    @Test func aWeightChangedInPlaceIsPackedAgain() {
        let cache = PackedWeightCache(byteBudget: 1 << 20, staleAfter: 100)
        var weight: [Float] = [1, 2, 3, 4]
        var packs = 0
        _ = lookup(cache, weight, packs: &packs)
        let address = weight.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress!) }
        weight[2] = -3   // uniquely referenced: changed in place
        #expect(weight.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress!) } == address)
        let repacked = lookup(cache, weight, packs: &packs)
        #expect(packs == 2)
        #expect(values(repacked) == [2, 4, -6, 8])
        // Only the newest packing stays: the old entry was replaced, not kept beside it.
        #expect(cache.statistics.entries == 1)
        _ = lookup(cache, weight, packs: &packs)
        #expect(packs == 2)
    }

    /// A parameter whose weight changes between calls (a model being trained) is packed for
    /// each call and not copied into the cache, until `staleAfter` lookups have passed.
    @Test func aChangingParameterIsNotCachedForAWhile() {
        let cache = PackedWeightCache(byteBudget: 1 << 20, staleAfter: 5)
        let parameter = NSObject()
        var weight: [Float] = [1, 2, 3, 4]
        var packs = 0
        _ = lookup(cache, weight, owner: parameter, packs: &packs)          // lookup 1: cached
        weight[0] = 7
        _ = lookup(cache, weight, owner: parameter, packs: &packs)          // 2: changed, not cached until 7
        for _ in 0..<3 { _ = lookup(cache, weight, owner: parameter, packs: &packs) }   // 3–5: packed each time
        #expect(packs == 5)
        #expect(cache.statistics.entries == 0 && cache.statistics.bytes == 0)
        _ = lookup(cache, weight, owner: parameter, packs: &packs)          // 6
        _ = lookup(cache, weight, owner: parameter, packs: &packs)          // 7: cached again
        let last = lookup(cache, weight, owner: parameter, packs: &packs)   // 8: a hit
        #expect(packs == 7)
        #expect(cache.statistics.entries == 1)
        #expect(values(last) == [14, 4, 6, 8])
    }

    @Test func theLayoutIsPartOfTheKey() {
        let cache = PackedWeightCache(byteBudget: 1 << 20, staleAfter: 100)
        let weight: [Float] = [1, 2, 3, 4]
        var packs = 0
        _ = lookup(cache, weight, layout: .winograd(tileSize: 2, transposeFlip: false), packs: &packs)
        _ = lookup(cache, weight, layout: .winograd(tileSize: 2, transposeFlip: true), packs: &packs)
        _ = lookup(cache, weight, layout: .winograd(tileSize: 4, transposeFlip: false), packs: &packs)
        _ = lookup(cache, weight, layout: .direct(transposeFlip: false), packs: &packs)
        #expect(packs == 4)
        #expect(cache.statistics.entries == 4)
    }

    @Test func aWeightLargerThanTheBudgetIsPackedForEachCall() {
        // 64 floats and their packed copy take 512 bytes.
        let cache = PackedWeightCache(byteBudget: 511, staleAfter: 1)
        let weight = [Float](repeating: 1, count: 64)
        var packs = 0
        let first = lookup(cache, weight, packs: &packs)
        let second = lookup(cache, weight, packs: &packs)
        #expect(packs == 2)
        #expect(first !== second)
        #expect(values(second) == [Float](repeating: 2, count: 64))
        #expect(cache.statistics.entries == 0 && cache.statistics.bytes == 0)
    }

    @Test func aFullCacheKeepsItsRecentEntriesAndEvictsStaleOnes() {
        // Room for two 16-float weights (128 bytes each with their packed copies).
        let cache = PackedWeightCache(byteBudget: 256, staleAfter: 4)
        let a = [Float](repeating: 1, count: 16), b = [Float](repeating: 2, count: 16)
        let c = [Float](repeating: 3, count: 16)
        var packs = 0
        _ = lookup(cache, a, packs: &packs)
        _ = lookup(cache, b, packs: &packs)
        // Full, and nothing is stale: c is packed but not cached, a and b keep hitting.
        _ = lookup(cache, c, packs: &packs)
        _ = lookup(cache, a, packs: &packs)
        _ = lookup(cache, b, packs: &packs)
        #expect(packs == 3)
        #expect(cache.statistics.entries == 2 && cache.statistics.bytes == 256)
        // a unused for four lookups: it is stale, and c takes its place.
        for _ in 0..<4 { _ = lookup(cache, b, packs: &packs) }
        _ = lookup(cache, c, packs: &packs)
        _ = lookup(cache, c, packs: &packs)
        _ = lookup(cache, b, packs: &packs)
        #expect(packs == 4)
        _ = lookup(cache, a, packs: &packs)
        #expect(packs == 5)
        #expect(cache.statistics.bytes <= cache.byteBudget)
    }
}
