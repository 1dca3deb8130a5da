import DPLTensor

/// Deterministic benchmark inputs, so every run times the same numbers.
typealias BenchRandom = SplitMix64

extension SplitMix64 {
    /// A tensor of values uniform in [−scale, scale).
    mutating func tensor(_ shape: [Int], scale: Float = 1) throws -> Tensor {
        try tensor(shape, -scale, scale)
    }
}
