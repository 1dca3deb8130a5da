import Dispatch
import Foundation
import _CBLAS

// MARK: - Threading policy
//
// The engine has one thread budget (`EngineThreads.count`, default: the number of cores), and
// only the engine's own workers spend it (DispatchQueue.concurrentPerform in `parallelFor`).
// OpenBLAS is pinned to 1 thread: each worker's sgemm runs on its own core, and a large lone
// sgemm is split by `sgemm` into row blocks run on the engine's workers.
//
// Why not OpenBLAS threads: measured on this machine (docs/performance.md), a 512³ sgemm on
// OpenBLAS's 2 threads is no faster than row blocks on 2 engine threads, but its result
// differs in the last bits from the 1-thread result (OpenBLAS 0.3.21 partitions the product
// by thread count), which breaks "bit-identical for any thread count". And running OpenBLAS
// threads inside engine workers would put 2 × count busy threads on count cores.
//
// Determinism: callers split work into chunks whose boundaries do not depend on the thread
// count, and every chunk writes its own output (or its own partial sum, reduced afterwards in
// chunk order). The result is then bit-identical for any thread count.

/// The engine's thread budget: how many workers `parallelFor` uses.
public enum EngineThreads {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configured: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// How many `parallelFor` regions are running now (several can, from different caller threads).
    nonisolated(unsafe) private static var activeRegions = 0

    /// The number of threads the engine may use (at least 1). Defaults to the number of active
    /// cores.
    public static var count: Int {
        get { lock.withLock { configured } }
        set { lock.withLock { configured = max(1, newValue) } }
    }

    /// Runs `body` with `count` set to `threads`, restoring the previous count afterwards.
    /// Tests and benchmarks use it to compare thread counts. The count is process-wide.
    public static func with<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        let previous = count
        count = threads
        defer { count = previous }
        return try body()
    }

    /// Sets OpenBLAS to 1 thread, once per process (the policy above).
    private static let blasPinned: Void = { openblas_set_num_threads(1) }()

    /// Makes sure OpenBLAS runs single-threaded before the engine calls it.
    @usableFromInline
    static func pinBLASToOneThread() { blasPinned }

    /// Enters a parallel region and returns the number of workers it may use.
    fileprivate static func enterRegion() -> Int {
        lock.withLock {
            activeRegions += 1
            // Regions started while another is running (nested, or from a second caller
            // thread) run serially, so the total stays within the budget.
            return activeRegions == 1 ? configured : 1
        }
    }

    fileprivate static func leaveRegion() {
        lock.withLock { activeRegions -= 1 }
    }
}

// MARK: - Parallel loop

/// Runs `body(chunk)` once for every chunk in `0..<chunkCount`, on up to `EngineThreads.count`
/// worker threads, and returns when all chunks are done.
///
/// Chunks run in an unspecified order and concurrently, so `body` must make each chunk write
/// only its own output. Choose the chunks from the problem size, never from the thread count:
/// then the result does not depend on how many threads ran it. `body` may call `sgemm` and
/// `parallelFor`; nested loops run serially on the calling worker.
public func parallelFor(_ chunkCount: Int, _ body: (_ chunk: Int) -> Void) {
    guard chunkCount > 0 else { return }
    let threads = EngineThreads.enterRegion()
    defer { EngineThreads.leaveRegion() }
    let workers = min(threads, chunkCount)
    if workers == 1 {
        for chunk in 0..<chunkCount { body(chunk) }
        return
    }
    // Contiguous blocks of chunks per worker: neighbouring chunks touch neighbouring memory.
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let start = worker * chunkCount / workers
        let end = (worker + 1) * chunkCount / workers
        for chunk in start..<end { body(chunk) }
    }
}

/// The ranges of `0..<count` in pieces of `size` (the last one may be shorter).
/// The pieces depend only on `count` and `size`, which keeps parallel results deterministic.
@inlinable
public func chunkRanges(count: Int, size: Int) -> [Range<Int>] {
    let step = max(1, size)
    return stride(from: 0, to: count, by: step).map { $0..<min($0 + step, count) }
}

/// How many items of `workPerItem` elements each to put in one chunk so that a chunk is worth
/// the cost of handing it to a worker (about 16k elements), and at least one.
@inlinable
public func itemsPerChunk(workPerItem: Int) -> Int {
    max(1, 16_384 / max(1, workPerItem))
}
