import Foundation

// MARK: - Continuous VP-SDE view

/// The continuous-time view of the DDPM schedule used by DiffPure's `sde` sampler
/// (Song et al. 2021): dx = −½ β(τ) x dτ + √β(τ) dw for τ in [0, 1], with
/// β(τ) = β_min + τ (β_max − β_min) and ᾱ(τ) = exp(−β_min τ − ½ (β_max − β_min) τ²).
///
/// With β_min = 0.1 and β_max = 20 it is the limit of the linear DDPM schedule with
/// T = 1000 (β_n = β(n/T)/T), so τ = t/1000 corresponds to t forward steps, and a model
/// trained on the discrete schedule is asked at timestep τ (T − 1), as score_sde and DiffPure do.
public struct VPSDE: Sendable, Equatable {
    /// β(0).
    public let betaMin: Double
    /// β(1).
    public let betaMax: Double

    /// A VP-SDE with β rising linearly from `betaMin` to `betaMax`.
    /// - Throws: `DiffusionError` unless 0 < `betaMin` ≤ `betaMax`.
    public init(betaMin: Double, betaMax: Double) throws {
        guard betaMin > 0, betaMin <= betaMax, betaMax.isFinite else {
            throw DiffusionError("VP-SDE", "betas from \(betaMin) to \(betaMax) are invalid; give 0 < betaMin <= betaMax")
        }
        self.betaMin = betaMin
        self.betaMax = betaMax
    }

    private init(validBetaMin betaMin: Double, betaMax: Double) {
        self.betaMin = betaMin
        self.betaMax = betaMax
    }

    /// DiffPure's VP-SDE: β_min = 0.1, β_max = 20.
    public static let diffPure = VPSDE(validBetaMin: 0.1, betaMax: 20)

    /// β(τ).
    public func beta(at time: Double) -> Double {
        betaMin + time * (betaMax - betaMin)
    }

    /// ᾱ(τ) = exp(−β_min τ − ½ (β_max − β_min) τ²), the signal fraction of x(τ) given x(0).
    public func alphaBar(at time: Double) -> Double {
        exp(-betaMin * time - 0.5 * (betaMax - betaMin) * time * time)
    }

    /// √(1 − ᾱ(τ)), the standard deviation of the noise in x(τ) given x(0).
    public func marginalStandardDeviation(at time: Double) -> Double {
        // −expm1 keeps precision where ᾱ is close to 1 (small τ).
        (-expm1(-betaMin * time - 0.5 * (betaMax - betaMin) * time * time)).squareRoot()
    }
}
