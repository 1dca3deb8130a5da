import DPLTensor

// MARK: - What the rest of DPL needs from a model

/// A model that maps images `[N, C, H, W]` in [0, 1] to class logits `[N, classes]`.
/// Attacks differentiate through it, so it must be built from differentiable ops.
public protocol ImageClassifier: AnyObject {
    /// The number of classes.
    var classCount: Int { get }
    /// The logits for a batch of images.
    func logits(_ images: Tensor) throws -> Tensor
}

/// Checks that `images` is a batch `[N, channels, size, size]` a classifier built for that input
/// can take; the error names the expected and the given shape.
func requireClassifierInput(_ images: Tensor, channels: Int, size: Int) throws {
    guard images.rank == 4, images.shape[1] == channels, images.shape[2] == size, images.shape[3] == size else {
        throw TensorError("classify", "the classifier expects images of shape [N, \(channels), \(size), \(size)] but got \(shapeString(images.shape))")
    }
}

/// A diffusion noise model: given noised images `x_t` `[N, C, H, W]` (on the model's scale,
/// usually [-1, 1]) and each sample's timestep on the 0…T-1 scale of its schedule, predicts the
/// noise ε that was added (DDPM's ε-parameterization). Timesteps are `Float` so that
/// continuous-time samplers (the VP-SDE) can ask between integer steps.
public protocol NoisePredictor: AnyObject {
    /// The predicted noise, shaped like `x`.
    func predictNoise(_ x: Tensor, timesteps: [Float]) throws -> Tensor
    /// About how many bytes one image's forward pass keeps for the backward pass, so that
    /// purification can decide whether a short reverse process fits in memory without
    /// checkpoints; nil when unknown (then it always checkpoints).
    var recordedBytesPerImage: Int? { get }
    /// ε̂ and, for a model that predicts its reverse-step variance (guided-diffusion's
    /// `learn_sigma=True`, whose output has twice the image channels), the variance values v
    /// of the same forward pass, shaped like `x`: guided-diffusion's `model_var_values`
    /// (gaussian_diffusion.py, `p_mean_variance`, `LEARNED_RANGE`), where v = −1 asks for the
    /// posterior variance β̃ and v = 1 for β. nil for a model that predicts ε alone.
    func predictNoiseAndVariance(_ x: Tensor, timesteps: [Float]) throws -> (noise: Tensor, varianceValues: Tensor?)
    /// The height and width the model takes (square images), or nil when it takes any size.
    /// Purification can resize to it (`purify size=model`), as DiffPure resizes ImageNet's
    /// 224×224 images to its 256×256 model.
    var inputSize: Int? { get }
    /// How a continuous-time sampler (DiffPure's reverse VP-SDE) labels time τ ∈ (0, 1] when
    /// it calls this model.
    var continuousTimeLabel: ContinuousTimeLabel { get }
}

/// The timestep a model is called with at continuous time τ ∈ (0, 1] of a T-step schedule.
/// DiffPure's `RevVPSDE` (runners/diffpure_sde.py) has one rule per `score_type`.
public enum ContinuousTimeLabel: Sendable, Equatable {
    /// τ·(T − 1): score_sde's continuous VP models (`get_score_fn`, `labels = t * 999`), as
    /// DiffPure calls its CIFAR-10 NCSN++ (`score_type='score_sde'`).
    case scaled
    /// ⌊τ·T⌋, τ in float32: a model trained on integer DDPM steps, as DiffPure calls
    /// guided-diffusion's ImageNet ADM (`score_type='guided_diffusion'`, `_scale_timesteps`:
    /// `(t.float() * self.N).long()`).
    case flooredStep

    /// The timestep for τ on a schedule of `stepCount` steps.
    public func timestep(_ tau: Double, stepCount: Int) -> Double {
        switch self {
        case .scaled:
            return tau * Double(stepCount - 1)
        case .flooredStep:
            // float32 τ times float32 T, truncated toward zero, as PyTorch's `.long()`.
            return Double((Float(tau) * Float(stepCount)).rounded(.towardZero))
        }
    }
}

extension NoisePredictor {
    /// Unknown unless the model says.
    public var recordedBytesPerImage: Int? { nil }

    /// ε̂ alone: the model predicts no variance.
    public func predictNoiseAndVariance(_ x: Tensor, timesteps: [Float]) throws -> (noise: Tensor, varianceValues: Tensor?) {
        (try predictNoise(x, timesteps: timesteps), nil)
    }

    /// Any size, unless the model says.
    public var inputSize: Int? { nil }

    /// τ·(T − 1), unless the model says (DPL's own U-Nets and NCSN++ take fractional steps).
    public var continuousTimeLabel: ContinuousTimeLabel { .scaled }
}
