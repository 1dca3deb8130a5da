import Foundation

// MARK: - Discrete DDPM schedule

/// The discrete noise schedule of a DDPM: T steps with variances β₀…β_{T−1}, 0-based.
///
/// Step index n (0…T−1) is the state after n + 1 forward noising steps, so
/// ᾱₙ = ∏_{k≤n} (1 − β_k) and x_n = √ᾱₙ x₀ + √(1 − ᾱₙ) ε. The model is called with n as its
/// timestep, as DDPM implementations (and DiffPure) do. Purifying "to t" (t = 1…T forward
/// steps) therefore lands on index t − 1.
///
/// Values are kept in `Double` so that ᾱ over 1000 products and the posterior coefficients
/// derived from it lose no precision; samplers convert each coefficient to `Float` once.
public struct NoiseSchedule: Sendable, Equatable {
    /// βₙ, the variance added by forward step n.
    public let betas: [Double]
    /// αₙ = 1 − βₙ.
    public let alphas: [Double]
    /// ᾱₙ = ∏_{k≤n} α_k.
    public let alphasCumprod: [Double]
    /// ᾱ_{n−1}, with ᾱ_{−1} = 1 (the clean data).
    public let alphasCumprodPrevious: [Double]
    /// β̃ₙ = βₙ (1 − ᾱ_{n−1}) / (1 − ᾱₙ), the variance of q(x_{n−1} | x_n, x₀).
    public let posteriorVariance: [Double]
    /// The coefficient of x₀ in the posterior mean: βₙ √ᾱ_{n−1} / (1 − ᾱₙ).
    public let posteriorMeanCoefficientX0: [Double]
    /// The coefficient of xₙ in the posterior mean: (1 − ᾱ_{n−1}) √αₙ / (1 − ᾱₙ).
    public let posteriorMeanCoefficientXt: [Double]

    /// The number of steps T.
    public var stepCount: Int { betas.count }

    /// A schedule from explicit betas, each in (0, 1).
    /// - Throws: `DiffusionError` when `betas` is empty or a beta lies outside (0, 1).
    public init(betas: [Double]) throws {
        guard !betas.isEmpty else {
            throw DiffusionError("noise schedule", "no betas were given; give at least one step")
        }
        if let bad = betas.firstIndex(where: { !($0 > 0 && $0 < 1) }) {
            throw DiffusionError("noise schedule", "beta \(bad) is \(betas[bad]) but every beta must lie strictly between 0 and 1")
        }
        self.init(validBetas: betas)
    }

    /// Derives every table from betas already known to be non-empty and in (0, 1).
    private init(validBetas betas: [Double]) {
        self.betas = betas
        alphas = betas.map { 1 - $0 }
        var product = 1.0
        alphasCumprod = alphas.map { alpha in product *= alpha; return product }
        alphasCumprodPrevious = [1] + alphasCumprod.dropLast()
        var variance = [Double](), coefficientX0 = [Double](), coefficientXt = [Double]()
        for n in betas.indices {
            let oneMinusAlphaBar = 1 - alphasCumprod[n]
            variance.append(betas[n] * (1 - alphasCumprodPrevious[n]) / oneMinusAlphaBar)
            coefficientX0.append(betas[n] * alphasCumprodPrevious[n].squareRoot() / oneMinusAlphaBar)
            coefficientXt.append((1 - alphasCumprodPrevious[n]) * alphas[n].squareRoot() / oneMinusAlphaBar)
        }
        posteriorVariance = variance
        posteriorMeanCoefficientX0 = coefficientX0
        posteriorMeanCoefficientXt = coefficientXt
    }

    /// Betas spaced linearly from `betaStart` to `betaEnd` over `steps` steps (Ho et al. 2020).
    /// - Throws: `DiffusionError` when `steps` < 1 or a beta falls outside (0, 1).
    public static func linear(betaStart: Double = 1e-4, betaEnd: Double = 0.02, steps: Int = 1000) throws -> NoiseSchedule {
        guard steps >= 1 else {
            throw DiffusionError("noise schedule", "steps is \(steps); give at least 1")
        }
        return try NoiseSchedule(betas: linearBetas(start: betaStart, end: betaEnd, steps: steps))
    }

    /// DDPM's linear schedule, β from 1e-4 to 0.02 over T = 1000 steps: the schedule DiffPure's
    /// and DPL's shipped models are trained with.
    public static let ddpm = NoiseSchedule(validBetas: linearBetas(start: 1e-4, end: 0.02, steps: 1000))

    /// `steps` betas from `start` to `end`, evenly spaced (numpy's `linspace`).
    private static func linearBetas(start: Double, end: Double, steps: Int) -> [Double] {
        let increment = steps == 1 ? 0 : (end - start) / Double(steps - 1)
        return (0..<steps).map { start + Double($0) * increment }
    }

    /// ᾱ at a timestep on the 0…T−1 scale; between integer steps log ᾱ is interpolated
    /// linearly (so a continuous-time caller gets a smooth, monotone value). Timesteps outside
    /// [0, T−1] are clamped to it.
    public func alphaBar(atTimestep timestep: Double) -> Double {
        let clampedStep = min(max(timestep, 0), Double(stepCount - 1))
        let lower = Int(clampedStep.rounded(.down))
        let upper = min(lower + 1, stepCount - 1)
        let fraction = clampedStep - Double(lower)
        if fraction == 0 || lower == upper { return alphasCumprod[lower] }
        let logValue = (1 - fraction) * log(alphasCumprod[lower]) + fraction * log(alphasCumprod[upper])
        return exp(logValue)
    }
}
