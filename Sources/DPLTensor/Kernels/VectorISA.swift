import CDPLKernels
import Foundation

// MARK: - Which vector instructions DPL's own kernels use

/// The widest vector instruction set DPL's own C kernels (Sources/CDPLKernels) may use.
///
/// Why a run-time choice: the package is built for baseline x86-64 so one binary runs on any
/// x86-64 machine, but most of the engine's time goes to loops that run 2–4× faster on the
/// 16-lane AVX-512 units of the CPUs the field uses. Each such kernel is compiled for AVX-512
/// in its own function and keeps a portable path; this type says which one runs.
///
/// `DPL_VECTOR_ISA=portable` in the environment forces the portable paths (to compare, or to
/// rule the wide kernels out when a result looks wrong). Tests compare both paths in one
/// process with `with(_:_:)`.
public enum VectorISA: Int, Comparable, Sendable, CustomStringConvertible {
    /// Baseline x86-64 (SSE2) or a non-x86 machine: the portable Swift/C loops.
    case portable = 0
    /// AVX-512 F, BW, DQ and VL.
    case avx512 = 2

    public static func < (a: VectorISA, b: VectorISA) -> Bool { a.rawValue < b.rawValue }

    public var description: String { self == .avx512 ? "avx512" : "portable" }

    /// What this CPU supports, unless `DPL_VECTOR_ISA=portable` forbids it (read once).
    public static let detected: VectorISA = {
        if ProcessInfo.processInfo.environment["DPL_VECTOR_ISA"]?.lowercased() == "portable" { return .portable }
        return dpl_cpu_has_avx512() != 0 ? .avx512 : .portable
    }()

    private static let overrideKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The instruction set for kernels started from this thread: `detected`, or the value of
    /// the innermost `with` block on this thread. Read it on the calling thread *before*
    /// handing work to `parallelFor` (a worker thread does not see the caller's override)
    /// and pass the choice down.
    public static var current: VectorISA {
        if let scoped = pthread_getspecific(overrideKey) {
            return VectorISA(rawValue: Int(bitPattern: scoped) - 1) ?? .portable
        }
        return detected
    }

    /// Runs `body` with kernels started from this thread limited to `isa` (never wider than
    /// `detected`: asking for AVX-512 on a CPU without it gives the portable paths).
    public static func with<R>(_ isa: VectorISA, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(overrideKey)
        let chosen = min(isa, detected)
        pthread_setspecific(overrideKey, UnsafeRawPointer(bitPattern: chosen.rawValue + 1))
        defer { pthread_setspecific(overrideKey, previous) }
        return try body()
    }
}
