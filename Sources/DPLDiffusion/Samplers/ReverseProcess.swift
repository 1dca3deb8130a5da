import Foundation
import DPLNN
import DPLTensor

// MARK: - Reverse process

/// The reverse process of one sampler from t forward steps back to the clean image, as a
/// sequence of `stepCount` steps. Each step is a differentiable function of its input: the
/// model call, the schedule coefficients and the keyed noise (a constant) — so the exact
/// gradient of the whole process is the chain of the steps' gradients.
public struct ReverseProcess {
    /// The sampler.
    public let sampler: Sampler
    /// Forward steps the input was noised with (1…T).
    public let t: Int
    /// The ε-predictor.
    public let model: NoisePredictor
    /// The discrete schedule (`ddpm`, `ddim`, and the model's timestep scale for `sde`).
    public let schedule: NoiseSchedule
    /// The continuous schedule of `sde`.
    public let sde: VPSDE
    /// Whether `ddpm`, `ddim` and `guided` clip their x₀ prediction to [−1, 1], as guided-diffusion
    /// does by default (`clip_denoised=True`). `sde` predicts no x₀ and ignores it.
    public let clipDenoised: Bool
    /// Called before every step (also the steps a backward pass recomputes); it throws to stop
    /// a long purification, e.g. when the user pressed Ctrl-C. Polling per step keeps a
    /// 100-step purification interruptible within one model call.
    public let checkCancellation: () throws -> Void

    /// The schedule indices `ddim` visits, from t − 1 down (empty for other samplers).
    let ddimIndices: [Int]
    /// The times τ₀ > τ₁ > … > τ_K of `sde` (empty for other samplers).
    let sdeTimes: [Double]

    /// The reverse process of `sampler` from `t` forward steps; `checkCancellation` runs before
    /// every step and its error ends the process.
    /// - Throws: `DiffusionError` when t is outside 1…T, DDIM's steps outside 1…t, DDIM's eta
    ///   negative, or the SDE step size not positive.
    public init(sampler: Sampler, t: Int, model: NoisePredictor, schedule: NoiseSchedule = .ddpm,
                sde: VPSDE = .diffPure, clipDenoised: Bool = true,
                checkCancellation: @escaping () throws -> Void = {}) throws {
        guard (1...schedule.stepCount).contains(t) else {
            throw DiffusionError("purify", "t is \(t) but the model's schedule has \(schedule.stepCount) steps; give t between 1 and \(schedule.stepCount)")
        }
        self.sampler = sampler
        self.t = t
        self.model = model
        self.schedule = schedule
        self.sde = sde
        self.clipDenoised = clipDenoised
        self.checkCancellation = checkCancellation
        switch sampler {
        case .ddpm, .guided:
            ddimIndices = []
            sdeTimes = []
        case .ddim(let steps, let eta):
            guard (1...t).contains(steps) else {
                throw DiffusionError("ddim sampler", "steps is \(steps) but must lie between 1 and t = \(t)")
            }
            guard eta >= 0, eta.isFinite else {
                throw DiffusionError("ddim sampler", "eta is \(eta); give a finite eta >= 0")
            }
            ddimIndices = ReverseProcess.ddimIndices(t: t, steps: steps)
            sdeTimes = []
        case .sde(let stepSize):
            guard stepSize > 0, stepSize.isFinite else {
                throw DiffusionError("sde sampler", "the step size is \(stepSize); give a positive step size such as 0.001")
            }
            ddimIndices = []
            sdeTimes = try ReverseProcess.sdeTimes(start: Double(t) / Double(schedule.stepCount), stepSize: stepSize)
        }
    }

    /// The number of reverse steps (model calls).
    public var stepCount: Int {
        switch sampler {
        case .ddpm, .guided: return t
        case .ddim: return ddimIndices.count
        case .sde: return sdeTimes.count - 1
        }
    }

    /// Reverse step `k` (0 = the first, from x_t) applied to `x`, drawing its noise from
    /// `noise` under this sampler's purpose and step `k`.
    public func step(_ k: Int, _ x: Tensor, noise: PurificationNoise, sampleIDs: [UInt64]) throws -> Tensor {
        guard (0..<stepCount).contains(k) else {
            throw DiffusionError("reverse process", "step \(k) does not exist; this \(sampler) process has steps 0..<\(stepCount)")
        }
        try checkCancellation()
        PurificationActivity.report(step: k, of: stepCount)
        let key = noise.reverseKey(purpose: sampler.noisePurpose, step: k)
        switch sampler {
        case .ddpm: return try ddpmStep(k, x, key: key, sampleIDs: sampleIDs)
        case .ddim(_, let eta): return try ddimStep(k, x, eta: eta, key: key, sampleIDs: sampleIDs)
        case .sde: return try sdeStep(k, x, key: key, sampleIDs: sampleIDs)
        case .guided: return try guidedStep(k, x, key: key, sampleIDs: sampleIDs)
        }
    }

    /// Runs every step from x_t to the clean image.
    ///
    /// When gradients are being recorded, the steps are grouped into checkpointed segments
    /// (`checkpointing`), so the backward pass recomputes each segment from its input instead
    /// of keeping every step's activations; the keyed noise makes the recomputation exact.
    public func run(_ xt: Tensor, noise: PurificationNoise, sampleIDs: [UInt64],
                    checkpointing: Checkpointing = .automatic) throws -> Tensor {
        guard xt.shape.first == sampleIDs.count else {
            throw DiffusionError("reverse process", "the batch of shape \(shapeString(xt.shape)) needs one sample id per row but \(sampleIDs.count) were given")
        }
        let count = stepCount
        let checkpointing = checkpointing.resolved(stepCount: count, batch: sampleIDs.count,
                                                   bytesPerImage: model.recordedBytesPerImage)
        guard GradMode.isEnabled, xt.requiresGrad,
              let length = checkpointing.segmentLength(stepCount: count) else {
            var x = xt
            for k in 0..<count { x = try step(k, x, noise: noise, sampleIDs: sampleIDs) }
            return x
        }
        let checkpointEachStep = checkpointing == .nested
        var x = xt
        for start in stride(from: 0, to: count, by: length) {
            let end = min(start + length, count)
            x = try checkpointed([x]) { inputs in
                var y = inputs[0]
                for k in start..<end {
                    // Only the recomputation during the backward pass records a graph; there
                    // the inner checkpoints keep one step's activations alive at a time.
                    if checkpointEachStep {
                        y = try checkpointed([y]) { try self.step(k, $0[0], noise: noise, sampleIDs: sampleIDs) }
                    } else {
                        y = try self.step(k, y, noise: noise, sampleIDs: sampleIDs)
                    }
                }
                return y
            }
        }
        return x
    }

    // MARK: - Shared pieces

    /// The same timestep for every sample of the batch.
    func timesteps(_ value: Double, batch: Int) -> [Float] {
        [Float](repeating: Float(value), count: batch)
    }

    /// The model's noise prediction, checked to have the input's shape.
    func predictNoise(_ x: Tensor, timestep: Double) throws -> Tensor {
        let epsilon = try model.predictNoise(x, timesteps: timesteps(timestep, batch: x.shape.first ?? 0))
        guard epsilon.shape == x.shape else {
            throw DiffusionError("purify", "the noise model returned shape \(shapeString(epsilon.shape)) for input shape \(shapeString(x.shape)); it must predict noise shaped like its input")
        }
        return epsilon
    }

    /// x₀ = (x − √(1 − ᾱ) ε̂) / √ᾱ, clipped to [−1, 1] when `clipDenoised`.
    func predictCleanImage(_ x: Tensor, noise epsilon: Tensor, alphaBar: Double) throws -> Tensor {
        let estimate = try x * Float(1 / alphaBar.squareRoot()) - epsilon * Float(((1 - alphaBar) / alphaBar).squareRoot())
        return clipDenoised ? try estimate.clamped(min: -1, max: 1) : estimate
    }

    /// Standard normal noise for step `key`, one row per sample id.
    func stepNoise(like x: Tensor, key: RandomKey, sampleIDs: [UInt64]) throws -> Tensor {
        try Tensor.normal(shape: x.shape, key: key, sampleIDs: sampleIDs)
    }
}
