import DPLNN
import DPLTensor

// MARK: - Analytic ε-predictor for Gaussian data

/// The optimal ε-predictor for data drawn from N(μ, s² I): the known answer the sampler
/// tests are checked against.
///
/// For x_t = √ᾱ x₀ + √(1 − ᾱ) ε with x₀ ~ N(μ, s²), E[ε | x_t] is affine in x_t:
///
///     ε*(x_t) = √(1 − ᾱ) (x_t − √ᾱ μ) / (ᾱ s² + 1 − ᾱ)
///
/// (each coordinate is an independent bivariate Gaussian pair (x_t, ε) with
/// Cov(x_t, ε) = √(1 − ᾱ) and Var(x_t) = ᾱ s² + 1 − ᾱ).
///
/// ## Timestep → ᾱ
/// The ε-model protocol receives timesteps on the 0…T−1 scale, and a sampler means a
/// particular ᾱ by each one; the denoiser must use the same map to be optimal:
/// - `.discrete(schedule)` (for `ddpm` and `ddim`, which call the model at integer index n):
///   ᾱ = `schedule.alphasCumprod[n]`; between integers log ᾱ is interpolated linearly.
/// - `.continuous(sde, stepCount: T)` (for `sde`, which calls it at τ (T − 1)):
///   ᾱ = `sde.alphaBar(at: timestep / (T − 1))`, the ᾱ(τ) the sampler divides the score by.
/// `init(mean:standardDeviation:matching:)` picks the one a sampler uses.
public final class AnalyticGaussianDenoiser: NoisePredictor {
    /// How a timestep maps to ᾱ.
    public enum TimeScale: Sendable, Equatable {
        /// ᾱ from the discrete schedule at index `timestep`.
        case discrete(NoiseSchedule)
        /// ᾱ(τ) of the VP-SDE at τ = timestep / (stepCount − 1).
        case continuous(VPSDE, stepCount: Int)
    }

    /// The data mean μ (on the model's scale).
    public let mean: Float
    /// The data standard deviation s.
    public let standardDeviation: Float
    /// The timestep → ᾱ map.
    public let timeScale: TimeScale

    /// The optimal ε-predictor for N(`mean`, `standardDeviation`² I) under `timeScale`.
    /// - Throws: `DiffusionError` when the standard deviation is negative or not finite, or
    ///   a continuous step count is below 2.
    public init(mean: Float, standardDeviation: Float, timeScale: TimeScale) throws {
        guard standardDeviation >= 0, standardDeviation.isFinite, mean.isFinite else {
            throw DiffusionError("analytic denoiser", "mean \(mean) and standard deviation \(standardDeviation) must be finite with the deviation >= 0")
        }
        if case .continuous(_, let stepCount) = timeScale, stepCount < 2 {
            throw DiffusionError("analytic denoiser", "a continuous time scale needs at least 2 steps, got \(stepCount)")
        }
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.timeScale = timeScale
    }

    /// The optimal ε-predictor with the time scale `sampler` calls its model on.
    public convenience init(mean: Float, standardDeviation: Float, matching sampler: Sampler,
                            schedule: NoiseSchedule = .ddpm, sde: VPSDE = .diffPure) throws {
        let scale: TimeScale = sampler.usesContinuousTime
            ? .continuous(sde, stepCount: schedule.stepCount) : .discrete(schedule)
        try self.init(mean: mean, standardDeviation: standardDeviation, timeScale: scale)
    }

    /// ᾱ at a model timestep, per `timeScale`.
    public func alphaBar(atTimestep timestep: Float) -> Double {
        switch timeScale {
        case .discrete(let schedule):
            return schedule.alphaBar(atTimestep: Double(timestep))
        case .continuous(let sde, let stepCount):
            return sde.alphaBar(at: Double(timestep) / Double(stepCount - 1))
        }
    }

    /// ε*(x_t) per sample, differentiable in `x`.
    /// - Throws: `DiffusionError` when the timesteps do not match the batch.
    public func predictNoise(_ x: Tensor, timesteps: [Float]) throws -> Tensor {
        guard let batch = x.shape.first, batch == timesteps.count else {
            throw DiffusionError("analytic denoiser", "the batch of shape \(shapeString(x.shape)) needs one timestep per row but \(timesteps.count) were given")
        }
        let variance = Double(standardDeviation) * Double(standardDeviation)
        var slopes = [Float](), offsets = [Float]()
        for timestep in timesteps {
            let alphaBar = alphaBar(atTimestep: timestep)
            let slope = (1 - alphaBar).squareRoot() / (alphaBar * variance + 1 - alphaBar)
            slopes.append(Float(slope))
            offsets.append(Float(slope * alphaBar.squareRoot() * Double(mean)))
        }
        let perSample = [batch] + [Int](repeating: 1, count: x.rank - 1)
        let slope = try Tensor(shape: perSample, scalars: slopes)
        let offset = try Tensor(shape: perSample, scalars: offsets)
        return try x * slope - offset
    }
}
