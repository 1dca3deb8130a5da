import DPLTensor

// MARK: - DDIM

extension ReverseProcess {
    /// The `steps` schedule indices DDIM visits, descending: n_i = round((i + 1) t / steps) − 1
    /// for i = steps − 1 … 0. The first is t − 1 (where x_t lives); with steps = t they are
    /// every index. Strictly decreasing because consecutive values differ by t/steps ≥ 1.
    static func ddimIndices(t: Int, steps: Int) -> [Int] {
        (0..<steps).reversed().map { i in ((i + 1) * t * 2 + steps) / (2 * steps) - 1 }
    }

    /// From index n to the next visited index m (ᾱ = 1 after the last):
    /// x_m = √ᾱ_m x̂₀ + √(1 − ᾱ_m − σ²) ε̂ + σ z, σ = η √((1 − ᾱ_m)/(1 − ᾱ_n)) √(1 − ᾱ_n/ᾱ_m).
    /// With clipping, ε̂ is re-derived from the clipped x̂₀ (as guided-diffusion does) so
    /// the update stays consistent with the x̂₀ it uses.
    func ddimStep(_ k: Int, _ x: Tensor, eta: Float, key: RandomKey, sampleIDs: [UInt64]) throws -> Tensor {
        let n = ddimIndices[k]
        let alphaBar = schedule.alphasCumprod[n]
        let alphaBarNext = k + 1 < ddimIndices.count ? schedule.alphasCumprod[ddimIndices[k + 1]] : 1
        var epsilon = try predictNoise(x, timestep: Double(n))
        let cleanImage = try predictCleanImage(x, noise: epsilon, alphaBar: alphaBar)
        if clipDenoised {
            epsilon = try (x - cleanImage * Float(alphaBar.squareRoot())) * Float(1 / (1 - alphaBar).squareRoot())
        }
        let sigma = Double(eta) * ((1 - alphaBarNext) / (1 - alphaBar)).squareRoot()
            * max(0, 1 - alphaBar / alphaBarNext).squareRoot()
        let direction = max(0, 1 - alphaBarNext - sigma * sigma).squareRoot()
        let next = try cleanImage * Float(alphaBarNext.squareRoot()) + epsilon * Float(direction)
        guard sigma > 0 else { return next }
        let z = try stepNoise(like: x, key: key, sampleIDs: sampleIDs)
        return try next + z * Float(sigma)
    }
}
