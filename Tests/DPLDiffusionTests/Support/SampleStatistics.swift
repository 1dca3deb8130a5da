import DPLTensor

/// Mean and (population) variance of all of a tensor's elements, accumulated in Double.
struct SampleStatistics {
    let count: Int
    let mean: Double
    let variance: Double

    init(_ tensor: Tensor) {
        count = tensor.count
        var sum = 0.0
        for value in tensor.scalars { sum += Double(value) }
        let mean = sum / Double(max(count, 1))
        var squares = 0.0
        for value in tensor.scalars { let d = Double(value) - mean; squares += d * d }
        self.mean = mean
        variance = squares / Double(max(count - 1, 1))
    }

    /// Standard error of the sample mean of `count` independent values of variance `variance`.
    static func meanStandardError(variance: Double, count: Int) -> Double {
        (variance / Double(count)).squareRoot()
    }

    /// Standard error of the sample variance of `count` independent Gaussian values:
    /// Var(s²) = 2σ⁴/(M − 1).
    static func varianceStandardError(variance: Double, count: Int) -> Double {
        variance * (2 / Double(count - 1)).squareRoot()
    }
}

/// The batch ids 0..<n as sample ids.
func sampleIDs(_ n: Int, from first: UInt64 = 0) -> [UInt64] {
    (0..<UInt64(n)).map { first + $0 }
}

/// Gaussian data N(mean, sd²) of `shape`, from a test-only keyed stream.
func gaussianData(shape: [Int], mean: Float, standardDeviation: Float, seed: UInt64 = 99) throws -> Tensor {
    try Tensor.normal(shape: shape, key: RandomKey(seed: seed, purpose: "test.data"),
                      sampleIDs: sampleIDs(shape[0]), mean: mean, standardDeviation: standardDeviation)
}
