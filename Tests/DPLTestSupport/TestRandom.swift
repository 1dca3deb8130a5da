import DPLTensor

/// Deterministic test inputs from SplitMix64, a generator independent of the engine's keyed
/// Philox RNG, so that a bug there cannot hide itself in the tests that check it.
public struct TestRandom {
    private var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    public mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float = -1, _ high: Float = 1) -> Float { generator.uniform(low, high) }

    /// A tensor of uniform values in [low, high).
    public mutating func tensor(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
        try! generator.tensor(shape, low, high)
    }
}
