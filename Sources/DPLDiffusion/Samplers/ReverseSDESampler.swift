import Foundation
import DPLTensor

// MARK: - DiffPure's reverse VP-SDE

extension ReverseProcess {
    /// τ₀ = `start`, τ_{k+1} = max(τ₀ − (k + 1) h, 1e-5): fixed steps of h, the last one
    /// shortened to land on 1e-5, as torchsde's fixed-step Euler does from 1 − τ* to 1 − 1e-5
    /// in DiffPure's reversed time.
    static func sdeTimes(start: Double, stepSize: Double) -> [Double] {
        let end = Sampler.sdeEndTime
        guard start > end else { return [start] }
        // A hair below the exact quotient, so float error in (start − end)/h = 100.0000001
        // does not add a near-empty step.
        let count = Int(((start - end) / stepSize - 1e-9).rounded(.up))
        return (0...count).map { k in max(start - Double(k) * stepSize, end) }
    }

    /// One Euler–Maruyama step of the reverse VP-SDE from τ = τ_k to τ_{k+1} = τ − h:
    /// x ← x + h (½ β(τ) x + β(τ) s(x, τ)) + √(β(τ) h) z, with the score
    /// s = −ε̂(x, τ (T − 1)) / √(1 − ᾱ(τ)) — DiffPure's `RevVPSDE` with a score_sde-style
    /// ε-model called at continuous timestep τ (T − 1).
    func sdeStep(_ k: Int, _ x: Tensor, key: RandomKey, sampleIDs: [UInt64]) throws -> Tensor {
        let time = sdeTimes[k]
        let stepSize = time - sdeTimes[k + 1]
        let beta = sde.beta(at: time)
        let epsilon = try predictNoise(x, timestep: time * Double(schedule.stepCount - 1))
        let scoreScale = beta * stepSize / sde.marginalStandardDeviation(at: time)
        let drifted = try x * Float(1 + 0.5 * beta * stepSize) - epsilon * Float(scoreScale)
        let z = try stepNoise(like: x, key: key, sampleIDs: sampleIDs)
        return try drifted + z * Float((beta * stepSize).squareRoot())
    }
}
