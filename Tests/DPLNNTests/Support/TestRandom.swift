@testable import DPLTensor

/// A small deterministic generator for test inputs (SplitMix64), independent of the engine's
/// own keyed RNG so that a bug there cannot hide itself in the tests that check it.
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [low, high).
    mutating func uniform(_ low: Float = -1, _ high: Float = 1) -> Float {
        let unit = Float(next() >> 40) / Float(1 << 24)
        return low + (high - low) * unit
    }

    /// A tensor of uniform values in [low, high).
    mutating func tensor(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
        let count = shape.reduce(1, *)
        return try! Tensor(shape: shape, scalars: (0..<count).map { _ in uniform(low, high) })
    }
}
