import DPLTensor

/// Deterministic benchmark inputs (SplitMix64), so every run times the same numbers.
struct BenchRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A tensor of values uniform in [−scale, scale).
    mutating func tensor(_ shape: [Int], scale: Float = 1) throws -> Tensor {
        let count = shape.reduce(1, *)
        var scalars = [Float](repeating: 0, count: count)
        for i in 0..<count { scalars[i] = (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
        return try Tensor(shape: shape, scalars: scalars)
    }
}
