import Foundation
import DPLTensor

// MARK: - guided-diffusion's p_sample (DiffPure's ImageNet runner)

extension ReverseProcess {
    /// Step k visits schedule index n = t − 1 − k, as runners/diffpure_guided.py's
    /// `for i in reversed(range(total_noise_levels))` calls `diffusion.p_sample(model, x, i,
    /// clip_denoised=True)` (guided-diffusion's gaussian_diffusion.py, `p_sample` and
    /// `p_mean_variance`; DiffPure's configs/imagenet.yml respaces 1000 steps to 1000, so the
    /// model is called at n itself):
    ///
    ///     x̂₀ = clip(√(1/ᾱₙ) xₙ − √(1/ᾱₙ − 1) ε̂, −1, 1)
    ///     μ  = coef₁ₙ x̂₀ + coef₂ₙ xₙ                     (the posterior mean)
    ///     log σ² = f log βₙ + (1 − f) log β̃ₙ, f = (v + 1)/2 (`LEARNED_RANGE`)
    ///     x_{n−1} = μ + σ z, and x₋₁ = μ at n = 0 (`nonzero_mask`)
    ///
    /// with ε̂ and v the two halves of one model output. A model without the variance half
    /// gets guided-diffusion's variance for `learn_sigma=False`, `FIXED_LARGE` (script_util.py,
    /// `create_gaussian_diffusion`): σ² = βₙ for n ≥ 1. Coefficients are computed in Double and
    /// rounded to Float once, as upstream's float64 tables are by `_extract_into_tensor`; the
    /// gradient flows through ε̂ and v both.
    func guidedStep(_ k: Int, _ x: Tensor, key: RandomKey, sampleIDs: [UInt64]) throws -> Tensor {
        let n = t - 1 - k
        let (epsilon, varianceValues) = try model.predictNoiseAndVariance(x, timesteps: timesteps(Double(n), batch: x.shape.first ?? 0))
        guard epsilon.shape == x.shape, varianceValues.map({ $0.shape == x.shape }) ?? true else {
            throw DiffusionError("purify", "the noise model returned shape \(shapeString(epsilon.shape)) for input shape \(shapeString(x.shape)); it must predict noise (and variance values) shaped like its input")
        }
        let cleanImage = try predictCleanImage(x, noise: epsilon, alphaBar: schedule.alphasCumprod[n])
        let mean = try cleanImage * Float(schedule.posteriorMeanCoefficientX0[n])
            + x * Float(schedule.posteriorMeanCoefficientXt[n])
        guard n > 0 else { return mean }
        let z = try stepNoise(like: x, key: key, sampleIDs: sampleIDs)
        guard let varianceValues else {
            return try mean + z * Float(schedule.betas[n].squareRoot())
        }
        // β̃ₙ > 0 for n ≥ 1, so upstream's clipped log (which only replaces n = 0) is log β̃ₙ.
        let minLog = Float(log(schedule.posteriorVariance[n]))
        let maxLog = Float(log(schedule.betas[n]))
        let fraction = (varianceValues + 1) * 0.5
        let logVariance = try fraction * maxLog + (1 - fraction) * minLog
        return try mean + exp(logVariance * 0.5) * z
    }
}
