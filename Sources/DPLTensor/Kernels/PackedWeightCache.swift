import Foundation

// MARK: - Packed weights, kept while the weight stays the same

/// Floats in pages of their own (`mmap`), outside the allocator's heap; freed when the last
/// holder lets go.
///
/// Why not the heap: the engine keeps freed heap blocks for reuse (EngineMemory), so a cache
/// entry dropped there would stay resident; unmapped, its memory goes back to the system.
final class FloatPages: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    private let mapped: Int

    /// `count` floats (page-aligned when mapped, else on a cache-line boundary), uninitialized.
    init(count: Int) {
        self.count = count
        let bytes = max(1, count) * MemoryLayout<Float>.stride
        if let pages = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
           pages != MAP_FAILED {
            pointer = pages.bindMemory(to: Float.self, capacity: max(1, count))
            mapped = bytes
        } else {
            // No mapping to be had: the heap still works, only less tidily.
            pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(1, count))
            mapped = 0
        }
    }

    deinit {
        if mapped > 0 { munmap(pointer, mapped) } else { pointer.deallocate() }
    }
}

/// A weight rearranged (and for Winograd, transformed) into a kernel's layout. Shared
/// read-only by the workers of a call and by the cache.
final class PackedWeight: @unchecked Sendable {
    private let pages: FloatPages
    var pointer: UnsafeMutablePointer<Float> { pages.pointer }
    var count: Int { pages.count }

    /// `count` floats filled by `pack`.
    init(count: Int, pack: (UnsafeMutablePointer<Float>) -> Void) {
        pages = FloatPages(count: count)
        pack(pages.pointer)
    }
}

/// The packed weights of recent convolutions, so that a network run again with the same
/// weights does not pack them again.
///
/// Why: purification calls the same frozen denoiser 5–100 times per image, forward and
/// backward, and packing a weight is serial work before each convolution's parallel part. On
/// `purify_full_grad_t20_b16` the Winograd packing alone was 4.4% of the CPU time and, being
/// serial, about 7.6% of the wall time on 2 threads (docs/performance.md, session 8).
///
/// An entry is found by the weight's owner (a parameter's autodiff leaf, else the weight's
/// address) and shape, and used only when the weight's floats still equal a copy taken when
/// it was packed (one `memcmp`, far cheaper than the transform). So a weight changed in place
/// (an optimizer step), or another weight that later occupies the same memory, is packed
/// again: a hit returns exactly what packing would return, and no result depends on the cache.
/// A parameter found changed is not cached again for `staleAfter` lookups: training changes
/// every weight every step, and caching those cost a copy per call and, on a U-Net training
/// step, 20 MB of peak memory for no hit.
///
/// Memory is bounded by `byteBudget` (the copies and the packed forms). When full, an entry
/// no lookup has used for `staleAfter` lookups makes room; if none is that old (a model
/// larger than the budget cycling through its layers), the new weight is packed for this
/// call only — the cached layers keep hitting instead of every entry being evicted before
/// its next use, as least-recently-used eviction would do on a cycle longer than the cache.
final class PackedWeightCache: @unchecked Sendable {
    /// Which packing of a weight: the kernel (for Winograd, its tile side) and whether it is
    /// the input gradient's transposed and flipped form.
    enum Layout: Hashable {
        case winograd(tileSize: Int, transposeFlip: Bool)
        case direct(transposeFlip: Bool)
    }

    /// What names a weight across calls.
    private enum Owner: Hashable {
        case leaf(ObjectIdentifier)
        case address(UInt)
    }

    private struct Key: Hashable {
        let layout: Layout
        let owner: Owner
        let shape: [Int]
    }

    private final class Entry {
        let source: FloatPages
        let packed: PackedWeight
        var lastUse = 0
        var bytes: Int { (source.count + packed.count) * MemoryLayout<Float>.stride }
        init(source: FloatPages, packed: PackedWeight) {
            self.source = source
            self.packed = packed
        }
    }

    /// The cache the convolution kernels use: at most 256 MiB, entries stale after 4096
    /// lookups without use.
    static let shared = PackedWeightCache(byteBudget: 256 << 20, staleAfter: 4096)

    /// The most memory the cache keeps.
    let byteBudget: Int
    /// Lookups after which an unused entry may be evicted to make room.
    let staleAfter: Int

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    /// Weights seen changing, and the lookup until which they are not cached.
    private var changing: [Key: Int] = [:]
    private var bytes = 0
    private var clock = 0
    private var counters = (hits: 0, misses: 0)

    init(byteBudget: Int, staleAfter: Int) {
        self.byteBudget = byteBudget
        self.staleAfter = staleAfter
    }

    /// The packed form of the `weightCount` floats at `weight` (shape `shape`) in `layout`:
    /// the cached one when the weight is unchanged, else made by `pack` into `packedCount`
    /// floats (and cached when there is room). `identity` names the weight across calls (a
    /// parameter's autodiff leaf); without one the weight's address does. A parameter found
    /// changed since its packing loses its entry and is not cached for `staleAfter` lookups; a
    /// different weight at a cached address takes the entry's place.
    func packed(_ layout: Layout, weight: UnsafePointer<Float>, identity: ObjectIdentifier? = nil, weightCount: Int,
                shape: [Int], packedCount: Int, pack: (UnsafeMutablePointer<Float>) -> Void) -> PackedWeight {
        let key = Key(layout: layout, owner: identity.map(Owner.leaf) ?? .address(UInt(bitPattern: weight)),
                      shape: shape)
        let (found, keep): (Entry?, Bool) = lock.withLock {
            clock += 1
            if let until = changing[key], clock >= until { changing.removeValue(forKey: key) }
            guard let entry = entries[key] else { return (nil, changing[key] == nil) }
            entry.lastUse = clock
            return (entry, true)
        }
        // Compared outside the lock: the copy is immutable, and the weight is the caller's.
        if let found, found.packed.count == packedCount, found.source.count == weightCount,
           Self.equal(found.source, weight) {
            lock.withLock { counters.hits += 1 }
            return found.packed
        }
        let packed = PackedWeight(count: packedCount, pack: pack)
        // A weight seen changing (a model being trained), or one too large for the cache, is
        // packed for this call only, without copying it.
        guard keep, (weightCount + packedCount) * MemoryLayout<Float>.stride <= byteBudget else {
            lock.withLock { counters.misses += 1 }
            return packed
        }
        let copy = FloatPages(count: weightCount)
        copy.pointer.update(from: weight, count: weightCount)
        let entry = Entry(source: copy, packed: packed)
        lock.withLock {
            counters.misses += 1
            if let replaced = entries.removeValue(forKey: key) {
                bytes -= replaced.bytes
                // A parameter changed since it was packed (training): stop caching it for a
                // while. At a bare address, a mismatch more likely means another weight now
                // lives there (memory reused), so that one is cached in its place.
                if case .leaf = key.owner {
                    markChanging(key)
                    return
                }
            }
            guard makeRoom(for: entry.bytes) else { return }
            entry.lastUse = clock
            entries[key] = entry
            bytes += entry.bytes
        }
        return packed
    }

    /// Remembers that `key`'s weight changes between calls (an optimizer updates it), so that
    /// it is not copied and cached again for `staleAfter` lookups: caching a weight that
    /// changes every step costs a copy per call and memory for nothing. Call with the lock held.
    private func markChanging(_ key: Key) {
        if changing.count >= 4096 { changing = changing.filter { $0.value > clock } }
        changing[key] = clock + staleAfter
    }

    /// Whether `weight` holds exactly the floats of `copy` (bit for bit), compared in pieces on
    /// the engine's workers: on purification with gradients, comparing on one thread was 1.9%
    /// of the wall time.
    private static func equal(_ copy: FloatPages, _ weight: UnsafePointer<Float>) -> Bool {
        let pieces = chunkRanges(count: copy.count, size: 1 << 13)
        var same = [Bool](repeating: false, count: pieces.count)
        same.withUnsafeMutableBufferPointer { same in
            parallelFor(pieces.count) { piece in
                let range = pieces[piece]
                same[piece] = memcmp(copy.pointer + range.lowerBound, weight + range.lowerBound,
                                     range.count * MemoryLayout<Float>.stride) == 0
            }
        }
        return same.allSatisfy { $0 }
    }

    /// Evicts stale entries, oldest first, until `needed` more bytes fit; false when they do
    /// not. Call with the lock held.
    private func makeRoom(for needed: Int) -> Bool {
        guard needed <= byteBudget else { return false }
        if bytes + needed <= byteBudget { return true }
        let stale = entries.filter { clock - $0.value.lastUse >= staleAfter }
            .sorted { $0.value.lastUse < $1.value.lastUse }
        for (key, entry) in stale {
            entries.removeValue(forKey: key)
            bytes -= entry.bytes
            if bytes + needed <= byteBudget { return true }
        }
        return false
    }

    /// Lookups answered from the cache, lookups that packed, the entries and their bytes.
    var statistics: (hits: Int, misses: Int, entries: Int, bytes: Int) {
        lock.withLock { (counters.hits, counters.misses, entries.count, bytes) }
    }
}
