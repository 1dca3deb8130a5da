// MARK: - SplitMix64

/// Steele, Lea and Flood's SplitMix64: a tiny sequential generator for fixtures and benchmark
/// inputs. It is not keyed by sample id and is never used for a defense's or an attack's
/// randomness (that is Philox, through `RandomKey`); it exists so tests and benchmarks get
/// reproducible numbers from a generator independent of the one they check.
public struct SplitMix64 {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
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
