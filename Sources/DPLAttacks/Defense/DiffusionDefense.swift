import DPLDiffusion
import DPLNN
import DPLTensor

// MARK: - Diffusion purification as a defense

extension Defense {
    /// Diffusion purification followed by a classifier, composed into one defense.
    ///
    /// The defense's call index becomes the purifier's noise: with `seed=fixed` or `seed=N`
    /// the call is ignored (the same image always purifies the same way); with `seed=random`
    /// call index c becomes purification call c + 1, because the purifier reserves call 0 for
    /// the fixed noise, so a random draw never repeats it. The purifier's own counter is not
    /// used: draws are addressed by what they are for (`DefenseCallIndex`), so a result does
    /// not depend on how many purifications ran before.
    ///
    /// Gradients follow the purifier's mode: `grad=full` → exact, `grad=bpda` → BPDA,
    /// `grad=none` → unavailable.
    public static func diffusionPurified(_ purifier: Purifier, classifier model: ImageClassifier,
                                         description: String? = nil) -> Defense {
        let settings = purifier.settings
        let gradient: DefenseGradient
        switch settings.gradient {
        case .full: gradient = .exact
        case .bpda: gradient = .bpda
        case .none: gradient = .unavailable
        }
        let text = description ?? "purify t=\(settings.t) sampler=\(settings.sampler) seed=\(settings.seed) grad=\(settings.gradient.rawValue) | classify"
        return Defense(description: text, isRandomized: !settings.seed.isDeterministic, gradient: gradient) { images, ids, call in
            let noise = purificationNoise(settings.seed, call: call)
            let purified = try purifier.purify(images, sampleIDs: ids, noise: noise)
            return try model.logits(purified)
        }
    }

    /// The purifier's keys for one defense call under `seed` (see `diffusionPurified`).
    public static func purificationNoise(_ seed: SeedMode, call: UInt64) -> PurificationNoise {
        switch seed {
        case .fixed: return PurificationNoise(seed: SeedMode.defaultSeed, call: 0)
        case .seed(let value): return PurificationNoise(seed: value, call: 0)
        case .random: return PurificationNoise(seed: SeedMode.defaultSeed, call: call &+ 1)
        }
    }
}
