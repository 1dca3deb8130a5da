import DPLTensor

// MARK: - DDPM ancestral sampling

extension ReverseProcess {
    /// Step k visits schedule index n = t − 1 − k:
    /// x_{n−1} = c₀ x̂₀ + c_t x_n + √β̃ₙ z with the posterior coefficients of `NoiseSchedule`,
    /// and no noise at n = 0 (β̃₀ = 0), where the result is x̂₀ itself.
    func ddpmStep(_ k: Int, _ x: Tensor, key: RandomKey, sampleIDs: [UInt64]) throws -> Tensor {
        let n = t - 1 - k
        let epsilon = try predictNoise(x, timestep: Double(n))
        let cleanImage = try predictCleanImage(x, noise: epsilon, alphaBar: schedule.alphasCumprod[n])
        let mean = try cleanImage * Float(schedule.posteriorMeanCoefficientX0[n])
            + x * Float(schedule.posteriorMeanCoefficientXt[n])
        guard n > 0 else { return mean }
        let z = try stepNoise(like: x, key: key, sampleIDs: sampleIDs)
        return try mean + z * Float(schedule.posteriorVariance[n].squareRoot())
    }
}
