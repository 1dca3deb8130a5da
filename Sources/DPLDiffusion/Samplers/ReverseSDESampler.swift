import Foundation
import DPLTensor

// MARK: - DiffPure's reverse VP-SDE

extension ReverseProcess {
    /// The times τ₀ > τ₁ > … > τ_K = 1e-5 at which DiffPure's reverse SDE is evaluated, on
    /// torchsde's clock. DiffPure (runners/diffpure_sde.py, `image_editing_sample`) integrates
    /// its time-reversed SDE in s = 1 − τ from s₀ = 1 − τ* to 1 − 1e-5 with
    /// `torchsde.sdeint_adjoint(..., method='euler')` at the default dt = 1e-3; torchsde's
    /// fixed-step loop (torchsde/_core/base_solver.py, `integrate`) advances
    /// s ← min(s + dt, s_end) on float32 tensors, and `RevVPSDE.f`/`g` evaluate at τ = 1 − s in
    /// float32. The float32 clock drifts by up to 1.3e-6 over 100 steps (the last step is
    /// 1.0013e-3 long, not 0.99e-3), so DPL replays that arithmetic rather than the ideal grid:
    /// the twin (Tests/Fixtures/diffpure_sde_twin.safetensors) then sees the same times.
    /// - Throws: `DiffusionError` when `stepSize` is too small to advance a float32 clock near 1.
    static func sdeTimes(start: Double, stepSize: Double) throws -> [Double] {
        let end = Float(1 - Sampler.sdeEndTime)
        let step = Float(stepSize)
        var clock = Float(1 - start)
        var times = [Double(1 - clock)]
        while clock < end {
            let next = min(clock + step, end)
            guard next > clock else {
                throw DiffusionError("sde sampler", "the step size \(stepSize) is too small to advance DiffPure's float32 time near 1; give at least 1e-6")
            }
            clock = next
            times.append(Double(1 - clock))
        }
        return times
    }

    /// One Euler–Maruyama step of the reverse VP-SDE from τ = τ_k to τ_{k+1} = τ − h:
    /// x ← x + h (½ β(τ) x + β(τ) s(x, τ)) + √(β(τ) h) z, with the score
    /// s = −ε̂(x, label(τ)) / √(1 − ᾱ(τ)) — DiffPure's `RevVPSDE`, and torchsde's Euler step
    /// y + f Δs + g ΔW with ΔW = √Δs z. The label is the model's `continuousTimeLabel`: τ · 999
    /// for `score_type='score_sde'` (`get_score_fn`'s continuous VP branch), ⌊τ · 1000⌋ for
    /// `score_type='guided_diffusion'` (the ADM, whose variance half is dropped); the score is
    /// −output / std in both.
    func sdeStep(_ k: Int, _ x: Tensor, key: RandomKey, sampleIDs: [UInt64]) throws -> Tensor {
        let time = sdeTimes[k]
        let stepSize = time - sdeTimes[k + 1]
        let beta = sde.beta(at: time)
        let epsilon = try predictNoise(x, timestep: model.continuousTimeLabel.timestep(time, stepCount: schedule.stepCount))
        let scoreScale = beta * stepSize / sde.marginalStandardDeviation(at: time)
        let drifted = try x * Float(1 + 0.5 * beta * stepSize) - epsilon * Float(scoreScale)
        let z = try stepNoise(like: x, key: key, sampleIDs: sampleIDs)
        return try drifted + z * Float((beta * stepSize).squareRoot())
    }
}
