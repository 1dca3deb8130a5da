import Foundation
@testable import DPLDiffusion

/// The exact mean and variance of each coordinate of a sampler's output when its data is
/// N(μ, s²) and its model the optimal ε-predictor.
///
/// Then ε̂ = A x − B is affine in x, so every step is x' = a x + b + c z with z ~ N(0, 1)
/// independent of x, and the moments propagate exactly: m' = a m + b, v' = a² v + c².
/// Computed in Double from the samplers' formulas (written out again here, independently of
/// the Float code under test), this is what the sampler must produce up to sampling error;
/// its distance from (μ, s²) is the sampler's own discretization bias.
struct GaussianMoments {
    let mean: Double
    let variance: Double

    /// Moments after noising N(μ, s²) to t forward steps and running `sampler` back.
    static func afterPurification(sampler: Sampler, t: Int, dataMean μ: Double, dataStandardDeviation s: Double) -> GaussianMoments {
        let schedule = NoiseSchedule.ddpm
        let sde = VPSDE.diffPure
        /// ε*(x) = A x − B at ᾱ.
        func epsilon(_ alphaBar: Double) -> (a: Double, b: Double) {
            let slope = (1 - alphaBar).squareRoot() / (alphaBar * s * s + 1 - alphaBar)
            return (slope, slope * alphaBar.squareRoot() * μ)
        }
        /// x̂₀ = (x − √(1−ᾱ) ε̂)/√ᾱ = p x + q.
        func cleanImage(_ alphaBar: Double) -> (p: Double, q: Double) {
            let (a, b) = epsilon(alphaBar)
            return ((1 - (1 - alphaBar).squareRoot() * a) / alphaBar.squareRoot(),
                    (1 - alphaBar).squareRoot() * b / alphaBar.squareRoot())
        }
        let start = schedule.alphasCumprod[t - 1]
        var m = start.squareRoot() * μ
        var v = start * s * s + 1 - start
        func apply(_ a: Double, _ b: Double, _ c: Double) {
            m = a * m + b
            v = a * a * v + c * c
        }
        switch sampler {
        case .ddpm, .guided:
            // guided with a model that predicts no variance uses β (guided-diffusion's FIXED_LARGE).
            let large = sampler == .guided
            for n in stride(from: t - 1, through: 0, by: -1) {
                let (p, q) = cleanImage(schedule.alphasCumprod[n])
                let c0 = schedule.betas[n] * schedule.alphasCumprodPrevious[n].squareRoot() / (1 - schedule.alphasCumprod[n])
                let ct = (1 - schedule.alphasCumprodPrevious[n]) * schedule.alphas[n].squareRoot() / (1 - schedule.alphasCumprod[n])
                let posterior = schedule.betas[n] * (1 - schedule.alphasCumprodPrevious[n]) / (1 - schedule.alphasCumprod[n])
                let variance = n > 0 ? (large ? schedule.betas[n] : posterior) : 0
                apply(c0 * p + ct, c0 * q, variance.squareRoot())
            }
        case .ddim(let steps, let eta):
            let indices = (0..<steps).reversed().map { Int((Double(($0 + 1) * t) / Double(steps)).rounded(.toNearestOrAwayFromZero)) - 1 }
            for (k, n) in indices.enumerated() {
                let alphaBar = schedule.alphasCumprod[n]
                let next = k + 1 < indices.count ? schedule.alphasCumprod[indices[k + 1]] : 1
                let (a, b) = epsilon(alphaBar)
                let (p, q) = cleanImage(alphaBar)
                let sigma = Double(eta) * ((1 - next) / (1 - alphaBar)).squareRoot() * max(0, 1 - alphaBar / next).squareRoot()
                let direction = max(0, 1 - next - sigma * sigma).squareRoot()
                apply(next.squareRoot() * p + direction * a, next.squareRoot() * q - direction * b, sigma)
            }
        case .sde(let h):
            var time = Double(t) / 1000
            while time > 1e-5 + 1e-12 {
                let nextTime = max(time - h, 1e-5)
                let stepSize = time - nextTime
                let beta = 0.1 + time * 19.9
                let alphaBar = exp(-0.1 * time - 0.5 * 19.9 * time * time)
                let (a, b) = epsilon(alphaBar)
                let scale = beta * stepSize / (1 - alphaBar).squareRoot()
                apply(1 + 0.5 * beta * stepSize - scale * a, scale * b, (beta * stepSize).squareRoot())
                time = nextTime
            }
        }
        return GaussianMoments(mean: m, variance: v)
    }
}
