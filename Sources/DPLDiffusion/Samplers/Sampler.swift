import DPLTensor

// MARK: - Sampler choice

/// The reverse process that takes x_t back to an image (see docs/purification.md).
public enum Sampler: Sendable, Equatable, CustomStringConvertible {
    /// DDPM ancestral sampling: t reverse steps, each adding noise with the posterior
    /// variance β̃ (none on the last step).
    case ddpm
    /// DDIM with `steps` strided steps from t − 1 down to the clean image. `eta` = 0 is
    /// deterministic; `eta` > 0 adds keyed noise (`eta` = 1 with `steps` = t is DDPM).
    case ddim(steps: Int, eta: Float = 0)
    /// DiffPure's reverse VP-SDE by Euler–Maruyama from τ* = t/T to 1e-5, in steps of
    /// `stepSize` (the last one shorter).
    case sde(stepSize: Double = 1e-3)
    /// guided-diffusion's `p_sample` loop as DiffPure's runners/diffpure_guided.py runs it
    /// (`--diffusion_type ddpm`): t ancestral steps whose variance is the model's own — the
    /// learned range between β̃ and β for a model that predicts it (`learn_sigma`, ADM), else
    /// β (guided-diffusion's `FIXED_LARGE`) — with no noise on the last step.
    case guided

    /// The time DiffPure's reverse SDE stops at, short of 0 where the score is singular.
    public static let sdeEndTime = 1e-5

    /// The purpose that keys this sampler's reverse-step noise.
    public var noisePurpose: RandomPurpose {
        switch self {
        case .ddpm: return "purify.reverse.ddpm"
        case .ddim: return "purify.reverse.ddim"
        case .sde: return "purify.reverse.sde"
        case .guided: return "purify.reverse.guided"
        }
    }

    /// Whether the sampler calls its model at continuous timesteps τ (T − 1) (`sde`) rather
    /// than at integer schedule indices (`ddpm`, `ddim`).
    public var usesContinuousTime: Bool {
        if case .sde = self { return true }
        return false
    }

    /// `ddpm`, `ddim(steps=…, eta=…)`, `sde(dt=…)` or `guided`.
    public var description: String {
        switch self {
        case .ddpm: return "ddpm"
        case .ddim(let steps, let eta): return "ddim(steps=\(steps), eta=\(eta))"
        case .sde(let stepSize): return "sde(dt=\(stepSize))"
        case .guided: return "guided"
        }
    }
}

// MARK: - Checkpointing

/// How `grad=full` keeps memory down: the reverse loop is cut into segments whose
/// intermediate values are recomputed during the backward pass.
public enum Checkpointing: Sendable, Equatable {
    /// Segments of ⌈√n⌉ steps for n reverse steps, so memory grows like √n.
    case automatic
    /// Segments of ⌈√n⌉ steps as `automatic`, and inside a segment's recomputation every
    /// step checkpointed again: memory is about one step's activations plus 2√n images, for
    /// one more forward pass than `automatic`.
    case nested
    /// Segments of the given number of steps.
    case segments(of: Int)
    /// Keep every step's intermediate values (memory grows like n).
    case off
    /// `off` when the whole process fits the memory budget — batch × reverse steps × the bytes
    /// the model says one image's forward pass keeps (`NoisePredictor.recordedBytesPerImage`)
    /// at most `adaptiveBudget` — and `nested` otherwise, or when the model does not say. A
    /// short process then runs each step once forward and once backward, where `nested`
    /// recomputes every step twice: PGD-10 through 5 DDIM steps ran ≈ 1.4× faster.
    case adaptive

    /// The most memory `adaptive` lets a whole process keep: 1.5 GiB.
    public static let adaptiveBudget = 3 << 29

    /// What `self` amounts to for `stepCount` steps on a batch of `batch` images whose
    /// forward pass keeps `bytesPerImage` each (nil: unknown).
    func resolved(stepCount: Int, batch: Int, bytesPerImage: Int?) -> Checkpointing {
        guard self == .adaptive else { return self }
        guard let bytesPerImage, bytesPerImage > 0 else { return .nested }
        let (images, overflow) = stepCount.multipliedReportingOverflow(by: max(1, batch))
        guard !overflow, images <= Checkpointing.adaptiveBudget / bytesPerImage else { return .nested }
        return .off
    }

    /// The segment length for `stepCount` steps, or nil when checkpointing is off.
    func segmentLength(stepCount: Int) -> Int? {
        switch self {
        case .automatic, .nested: return max(1, Int(Double(stepCount).squareRoot().rounded(.up)))
        case .segments(let length): return max(1, length)
        case .off, .adaptive: return nil
        }
    }
}
