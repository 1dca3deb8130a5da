import Foundation

// MARK: - Counting floating-point operations

/// Counts the floating-point operations of the matrix products a block of code runs —
/// `conv2d` and `matmul`, 2 per multiply–add, as PyTorch's FLOP counters and the papers count
/// them. Elementwise ops, normalizations and activations are not counted: they are a few per
/// cent of a network's arithmetic and bound by memory, not by the products.
///
/// The count comes from the ops a forward pass actually runs, so a model's FLOPs are never
/// described a second time next to its forward code (where the two could drift apart).
/// Counting is per thread: the ops are called on the thread that runs the model, and the
/// engine's worker threads only run kernels.
public enum FlopCounter {
    /// A running total of FLOPs.
    private final class Total {
        var flops: Double = 0
    }

    /// The total of the innermost `counting` block on each thread.
    private static let total = ThreadScoped<Total>()

    /// Runs `body` and returns its result with the FLOPs of the products it ran on this thread.
    public static func counting<T>(_ body: () throws -> T) rethrows -> (result: T, flops: Double) {
        let counted = Total()
        let result = try total.with(counted, body)
        return (result, counted.flops)
    }

    /// Adds the FLOPs of `multiplyAdds` multiply–adds, when a `counting` block is open.
    @inline(__always)
    static func record(multiplyAdds: Int) {
        guard let counted = total.current else { return }
        counted.flops += 2 * Double(multiplyAdds)
    }
}
