import Foundation

// MARK: - Packed weights, kept while the weight stays the same

/// A weight rearranged (and for Winograd, transformed) into a kernel's layout. Shared
/// read-only by the workers of a call and by the cache; freed when the last holder lets go.
final class PackedWeight: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// `count` floats on a cache-line boundary, filled by `pack`.
    init(count: Int, pack: (UnsafeMutablePointer<Float>) -> Void) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, count))
        pack(pointer)
    }

    deinit { pointer.deallocate() }
}

/// The packed weights of recent convolutions, so that a network run again with the same
/// weights does not pack them again.
///
/// Why: purification calls the same frozen denoiser 5–100 times per image, forward and
/// backward, and packing a weight is serial work before each convolution's parallel part. On
/// `purify_full_grad_t20_b16` the Winograd packing alone was 4.4% of the CPU time and, being
/// serial, about 7.6% of the wall time on 2 threads (docs/performance.md, session 8).
///
/// An entry is found by the weight's address and shape, and used only when the weight's
/// floats still equal a copy taken when it was packed (one `memcmp`, far cheaper than the
/// transform). So a weight changed in place (an optimizer step), or another weight that
/// later occupies the same memory, is packed again: a hit returns exactly what packing would
/// return, and no result depends on the cache.
///
/// Memory is bounded by `byteBudget` (the copies and the packed forms). When full, an entry
/// no lookup has used for `staleAfter` lookups makes room; if none is that old (a model
/// larger than the budget cycling through its layers), the new weight is packed for this
/// call only — the cached layers keep hitting instead of every entry being evicted before
/// its next use, as least-recently-used eviction would do on a cycle longer than the cache.
final class PackedWeightCache: @unchecked Sendable {
    /// Which packing of a weight: the kernel and whether it is the input gradient's
    /// transposed and flipped form.
    enum Layout: Hashable {
        case winograd(transposeFlip: Bool)
        case direct(transposeFlip: Bool)
    }

    private struct Key: Hashable {
        let layout: Layout
        let address: UInt
        let shape: [Int]
    }

    private final class Entry {
        let source: [Float]
        let packed: PackedWeight
        var lastUse = 0
        var bytes: Int { (source.count + packed.count) * MemoryLayout<Float>.stride }
        init(source: [Float], packed: PackedWeight) {
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
    private var bytes = 0
    private var clock = 0
    private var counters = (hits: 0, misses: 0)

    init(byteBudget: Int, staleAfter: Int) {
        self.byteBudget = byteBudget
        self.staleAfter = staleAfter
    }

    /// The packed form of the `weightCount` floats at `weight` (shape `shape`) in `layout`:
    /// the cached one when the weight is unchanged, else made by `pack` into `packedCount`
    /// floats (and cached when there is room).
    func packed(_ layout: Layout, weight: UnsafePointer<Float>, weightCount: Int, shape: [Int],
                packedCount: Int, pack: (UnsafeMutablePointer<Float>) -> Void) -> PackedWeight {
        let key = Key(layout: layout, address: UInt(bitPattern: weight), shape: shape)
        let found: Entry? = lock.withLock {
            clock += 1
            guard let entry = entries[key] else { return nil }
            entry.lastUse = clock
            return entry
        }
        // Compared outside the lock: the copy is immutable, and the weight is the caller's.
        if let found, found.packed.count == packedCount, found.source.count == weightCount,
           Self.equal(found.source, weight) {
            lock.withLock { counters.hits += 1 }
            return found.packed
        }
        let entry = Entry(source: Array(UnsafeBufferPointer(start: weight, count: weightCount)),
                          packed: PackedWeight(count: packedCount, pack: pack))
        lock.withLock {
            counters.misses += 1
            if let replaced = entries.removeValue(forKey: key) { bytes -= replaced.bytes }
            guard makeRoom(for: entry.bytes) else { return }
            entry.lastUse = clock
            entries[key] = entry
            bytes += entry.bytes
        }
        return entry.packed
    }

    /// Whether `weight` holds exactly the floats of `copy` (bit for bit), compared in pieces on
    /// the engine's workers: on purification with gradients, comparing on one thread was 1.9%
    /// of the wall time.
    private static func equal(_ copy: [Float], _ weight: UnsafePointer<Float>) -> Bool {
        let pieces = chunkRanges(count: copy.count, size: 1 << 13)
        var same = [Bool](repeating: false, count: pieces.count)
        copy.withUnsafeBufferPointer { source in
            same.withUnsafeMutableBufferPointer { same in
                parallelFor(pieces.count) { piece in
                    let range = pieces[piece]
                    same[piece] = memcmp(source.baseAddress! + range.lowerBound, weight + range.lowerBound,
                                         range.count * MemoryLayout<Float>.stride) == 0
                }
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
