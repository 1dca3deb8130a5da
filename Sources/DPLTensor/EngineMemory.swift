#if canImport(Glibc)
import Glibc
#endif

// MARK: - Keeping freed tensor memory in the process

/// How the process's allocator treats the engine's large, short-lived buffers.
///
/// Why: a U-Net activation at batch 64 is 6–13 MB and a column matrix up to 2.7 MB, and the
/// engine allocates and frees thousands of them per forward pass. glibc's malloc serves
/// blocks above its mmap threshold (128 kB at start, raised adaptively only up to the size of
/// the largest block freed so far) with fresh `mmap`s and returns them with `munmap`, and it
/// gives freed heap tops back to the kernel above its trim threshold. Every such buffer then
/// page-faults again on first touch: page faults, zeroing of fresh pages and the kernel's
/// memory accounting were 5–7% of the profiles of `unet_tiny_forward_b64` and
/// `unet_tiny_train_step_b64` (docs/performance.md). Raising both thresholds keeps freed
/// buffers in the heap for reuse.
///
/// What it costs: the process's resident set stays at its high-water mark instead of
/// shrinking after a peak; peak memory itself is unchanged.
public enum EngineMemory {
    /// Blocks up to this size come from the heap (glibc accepts at most 32 MiB on 64-bit).
    static let mmapThreshold: Int32 = 32 << 20
    /// Freed memory at the top of the heap is returned to the kernel only above this.
    static let trimThreshold: Int32 = 1 << 30

    /// Sets the allocator's thresholds for the engine's buffer sizes. Called once at start-up
    /// by the command-line tools (not by the library: an embedding program keeps its own
    /// allocator settings). Does nothing where the C library is not glibc.
    public static func keepFreedBuffers() {
        #if canImport(Glibc)
        // `mallopt` is declared in <malloc.h>, which the Glibc module does not include; it is
        // looked up by name instead, and a C library without it is left alone.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }   // nil: RTLD_DEFAULT
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        // glibc's parameter numbers (malloc.h): M_TRIM_THRESHOLD −1, M_MMAP_THRESHOLD −3.
        _ = mallopt(-3, mmapThreshold)
        _ = mallopt(-1, trimThreshold)
        #endif
    }
}
