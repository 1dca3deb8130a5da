import DPLNN
import DPLTensor

// MARK: - Settings

/// The parameters of `purify t=… sampler=… seed=… grad=…`.
public struct PurificationSettings: Sendable {
    /// Forward diffusion steps (1…T); the input is noised to schedule index t − 1.
    public var t: Int
    /// The reverse process.
    public var sampler: Sampler
    /// How noise is keyed across calls.
    public var seed: SeedMode
    /// What a backward pass through purification computes.
    public var gradient: GradientMode
    /// How `gradient = .full` trades recomputation for memory.
    public var checkpointing: Checkpointing
    /// Whether `ddpm`/`ddim`/`guided` clip their x₀ predictions to [−1, 1] (guided-diffusion's default).
    public var clipDenoised: Bool
    /// The side the images are purified at, or nil for their own size. Given, images are
    /// resized bilinearly to size × size before purification and back to their own size after
    /// it, as DiffPure's ImageNet evaluation does around its 256×256 model (eval_sde_adv.py,
    /// `SDE_Adv_Model.forward`: `F.interpolate(…, mode='bilinear', align_corners=False)`,
    /// 224 → 256 → 224). The resizes are part of the defense, so gradients pass through them.
    public var size: Int?

    /// Settings with DiffPure-like defaults: t = 100, DDPM, fixed seed, full gradient.
    /// Checkpointing defaults to `.adaptive`: a few reverse steps on a small batch are kept
    /// whole (fastest), and anything longer is `.nested`, which at t = 100 needs 5–7× less
    /// memory than `.automatic` for under 10 % more time (docs/purification.md).
    public init(t: Int = 100, sampler: Sampler = .ddpm, seed: SeedMode = .fixed,
                gradient: GradientMode = .full, checkpointing: Checkpointing = .adaptive,
                clipDenoised: Bool = true, size: Int? = nil) {
        self.t = t
        self.sampler = sampler
        self.seed = seed
        self.gradient = gradient
        self.checkpointing = checkpointing
        self.clipDenoised = clipDenoised
        self.size = size
    }
}

// MARK: - Purifier

/// Diffusion purification (DiffPure, Nie et al. 2022): images in [0, 1] are mapped to the
/// model's [−1, 1], diffused to step t with keyed noise, taken back to step 0 by the sampler,
/// clamped to [−1, 1] and mapped back to [0, 1].
///
/// Noise is addressed by sample id, so a sample purifies to the same bits alone or in any
/// batch; batching is the caller's. The gradient mode decides what attacks differentiate.
public final class Purifier {
    /// The ε-predictor (a trained U-Net or `AnalyticGaussianDenoiser`).
    public let model: NoisePredictor
    /// The purification parameters.
    public let settings: PurificationSettings
    /// The model's discrete schedule.
    public let schedule: NoiseSchedule
    /// The continuous schedule of the `sde` sampler.
    public let sde: VPSDE
    /// The reverse process the settings describe.
    public let reverseProcess: ReverseProcess

    /// A purifier of `model` with `settings`. `checkCancellation` runs before every reverse
    /// step (see `ReverseProcess.checkCancellation`); its error ends the purification.
    /// - Throws: `DiffusionError` for settings the sampler rejects (t outside 1…T, …).
    public init(model: NoisePredictor, settings: PurificationSettings = PurificationSettings(),
                schedule: NoiseSchedule = .ddpm, sde: VPSDE = .diffPure,
                checkCancellation: @escaping () throws -> Void = {}) throws {
        if let size = settings.size, size < 1 {
            throw DiffusionError("purify", "size is \(size); give the side to purify at, at least 1, or none for the images' own size")
        }
        self.model = model
        self.settings = settings
        self.schedule = schedule
        self.sde = sde
        reverseProcess = try ReverseProcess(sampler: settings.sampler, t: settings.t, model: model,
                                            schedule: schedule, sde: sde, clipDenoised: settings.clipDenoised,
                                            checkCancellation: checkCancellation)
    }

    /// Whether attacks can differentiate through this purifier (`grad=full` or `grad=bpda`).
    public var passesGradients: Bool { settings.gradient.passesGradients }

    /// Throws the error an attack should report when it needs gradients through a purifier
    /// with `grad=none`; `consumer` names the attack.
    public func requireGradients(for consumer: String) throws {
        guard passesGradients else { throw Purifier.blockedGradientError(consumer: consumer) }
    }

    /// Purifies a batch `[N, C, H, W]` of images in [0, 1]; row n has id `sampleIDs[n]`.
    ///
    /// `call` is the defense's call index (`DefenseCallIndex`), which the seed mode turns into
    /// the noise's keys (`SeedMode.noise(call:)`); `fixed` and `seed=N` ignore it. `noise`
    /// overrides the keys outright (e.g. to replay one draw in a test).
    ///
    /// Gradients: with `.full`, the result is differentiable in `images` (when `images`
    /// requires a gradient; otherwise no graph is built). With `.bpda` the backward pass is
    /// the identity. With `.none`, backpropagating into `images` throws. The forward value is
    /// the same purified image in every mode.
    /// - Throws: `DiffusionError` when the ids do not match the batch; errors of the model.
    public func purify(_ images: Tensor, sampleIDs: [UInt64], call: UInt64 = 0,
                       noise: PurificationNoise? = nil) throws -> Tensor {
        guard images.rank >= 1, images.shape[0] == sampleIDs.count else {
            throw DiffusionError("purify", "the batch of shape \(shapeString(images.shape)) needs one sample id per row but \(sampleIDs.count) were given")
        }
        let keys = noise ?? settings.seed.noise(call: call)
        return try settings.gradient.run(images, blocked: { Purifier.blockedGradientError(consumer: "a backward pass") }) {
            try purifyValue($0, sampleIDs: sampleIDs, noise: keys)
        }
    }

    /// The purification itself; differentiable when gradients are recorded.
    ///
    /// With `size`, DiffPure resizes on the [0, 1] scale before its `(x − 0.5) · 2` and on the
    /// [−1, 1] scale after purifying; bilinear weights sum to 1, so resizing commutes with
    /// both affine maps and DPL resizes on the [0, 1] scale both times.
    private func purifyValue(_ images: Tensor, sampleIDs: [UInt64], noise: PurificationNoise) throws -> Tensor {
        let resize = try resizing(images)
        let working = try resize.map { try images.resizeBilinear(height: $0.to, width: $0.to) } ?? images
        try requireModelSize(working)
        let modelScale = working * 2 - 1
        let noised = try schedule.diffuse(modelScale, steps: settings.t, noise: noise, sampleIDs: sampleIDs)
        let denoised = try reverseProcess.run(noised, noise: noise, sampleIDs: sampleIDs,
                                              checkpointing: settings.checkpointing)
        let purified = try (denoised.clamped(min: -1, max: 1) + 1) * 0.5
        return try resize.map { try purified.resizeBilinear(height: $0.back.height, width: $0.back.width) } ?? purified
    }

    /// A model built for one size refuses others deep inside its first layer; say here which
    /// size it takes and how to purify there (DiffPure's 224×224 ImageNet images meet a
    /// 256×256 model).
    private func requireModelSize(_ images: Tensor) throws {
        guard let side = model.inputSize, images.rank == 4, images.shape[2] != side || images.shape[3] != side else { return }
        throw DiffusionError("purify", "the diffusion model takes \(side)×\(side) images but these are \(images.shape[2])×\(images.shape[3]); purify at the model's size with size=model (resized there and back, as DiffPure does for ImageNet) or give images of its size")
    }

    /// The side to purify at and the size to return to, or nil when no resize is needed.
    private func resizing(_ images: Tensor) throws -> (to: Int, back: (height: Int, width: Int))? {
        guard let size = settings.size else { return nil }
        guard images.rank == 4 else {
            throw DiffusionError("purify", "size=\(size) resizes images [N, C, H, W], but the batch has shape \(shapeString(images.shape))")
        }
        let back = (height: images.shape[2], width: images.shape[3])
        return back == (size, size) ? nil : (size, back)
    }

    private static func blockedGradientError(consumer: String) -> DiffusionError {
        DiffusionError("purify", "\(consumer) needs gradients through purification, but it runs with grad=none; use grad=full for the exact gradient or grad=bpda for the identity approximation")
    }
}
