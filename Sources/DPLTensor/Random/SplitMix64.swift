// MARK: - SplitMix64

/// Steele, Lea and Flood's SplitMix64: a tiny sequential generator for fixtures and benchmark
/// inputs, and a mixer that turns (seed, index) into an unrelated 64-bit seed. It is not keyed
/// by sample id and never draws a defense's or an attack's noise (that is Philox, through
/// `RandomKey`); it exists so tests and benchmarks get reproducible numbers from a generator
/// independent of the one they check, and so derived seeds are spread over all 64 bits.
public struct SplitMix64 {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The increment of the state per draw: 2^64 divided by the golden ratio.
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= SplitMix64.gamma
        return SplitMix64.finalize(state)
    }

    /// The `index`-th value (counting from 1) that a generator started at `seed` returns,
    /// computed directly: SplitMix64's state advances by a constant, so any draw is one mix.
    public static func value(_ index: UInt64, seed: UInt64) -> UInt64 {
        finalize(seed &+ index &* gamma)
    }

    /// The output mix (a variant of MurmurHash3's finalizer).
    private static func finalize(_ state: UInt64) -> UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [low, high), from the top 24 bits (every value exactly representable).
    public mutating func uniform(_ low: Float = -1, _ high: Float = 1) -> Float {
        low + (high - low) * (Float(next() >> 40) / Float(1 << 24))
    }

    /// A tensor of `shape` filled with `uniform(low, high)` values in row-major order.
    public mutating func tensor(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) throws -> Tensor {
        let count = shape.reduce(1, *)
        var scalars = [Float](repeating: 0, count: count)
        for i in 0..<count { scalars[i] = uniform(low, high) }
        return try Tensor(shape: shape, scalars: scalars)
    }
}
