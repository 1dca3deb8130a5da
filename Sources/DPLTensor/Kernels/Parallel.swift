import Dispatch
import Foundation
import _CBLAS

// MARK: - Threading policy
//
// The engine has one thread budget (`EngineThreads.count`, default: the number of cores), and
// exactly one of two parties spends it at any moment:
//
// * inside `parallelFor` the engine's own workers run (DispatchQueue.concurrentPerform) and
//   OpenBLAS is held at 1 thread, so each worker's small sgemm runs on its own core;
// * outside it, OpenBLAS may use the whole budget for one large sgemm (a lone matmul).
//
// Running both at once would put 2 × count busy threads on count cores, and OpenBLAS's
// spinning workers then fight the engine's workers for the CPU. Measured numbers that chose
// where each op parallelizes are in docs/performance.md (conv2d: engine threads over batch
// chunks, BLAS at 1 thread; matmul: one sgemm with BLAS threads).
//
// Determinism: callers split work into chunks whose boundaries do not depend on the thread
// count, and every chunk writes its own output (or its own partial sum, reduced afterwards in
// chunk order). The result is then bit-identical for any thread count.

/// The engine's thread budget: how many workers `parallelFor` uses, and how many threads
/// OpenBLAS may use outside parallel regions.
public enum EngineThreads {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configured: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// How many `parallelFor` regions are running now (several can, from different caller threads).
    nonisolated(unsafe) private static var activeRegions = 0
    /// The value last handed to `openblas_set_num_threads`, so it is called only on a change;
    /// -1 until the first change (OpenBLAS starts with one thread per core, like `configured`).
    nonisolated(unsafe) private static var blasThreads = -1

    /// The number of threads the engine may use (at least 1). Defaults to the number of active
    /// cores. Setting it also sets OpenBLAS's thread count for work outside parallel regions.
    public static var count: Int {
        get { lock.withLock { configured } }
        set {
            lock.withLock {
                configured = max(1, newValue)
                if activeRegions == 0 { setBLASThreads(configured) }
            }
        }
    }

    /// Runs `body` with `count` set to `threads`, restoring the previous count afterwards.
    /// Tests and benchmarks use it to compare thread counts.
    public static func with<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        let previous = count
        count = threads
        defer { count = previous }
        return try body()
    }

    /// Enters a parallel region: OpenBLAS drops to 1 thread while any region is active.
    /// Returns the number of workers the region may use.
    fileprivate static func enterRegion() -> Int {
        lock.withLock {
            activeRegions += 1
            setBLASThreads(1)
            // Regions started while another is running (nested or from a second caller
            // thread) run serially, so the total stays within the budget.
            return activeRegions == 1 ? configured : 1
        }
    }

    fileprivate static func leaveRegion() {
        lock.withLock {
            activeRegions -= 1
            if activeRegions == 0 { setBLASThreads(configured) }
        }
    }

    /// Must be called with `lock` held.
    private static func setBLASThreads(_ threads: Int) {
        guard threads != blasThreads else { return }
        openblas_set_num_threads(Int32(threads))
        blasThreads = threads
    }
}

// MARK: - Parallel loop

/// Runs `body(chunk)` once for every chunk in `0..<chunkCount`, on up to `EngineThreads.count`
/// worker threads, and returns when all chunks are done.
///
/// Chunks run in an unspecified order and concurrently, so `body` must make each chunk write
/// only its own output. Choose the chunks from the problem size, never from the thread count:
/// then the result does not depend on how many threads ran it. While the loop runs, OpenBLAS
/// is held at 1 thread (see the policy above), so `body` may call `sgemm`.
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
