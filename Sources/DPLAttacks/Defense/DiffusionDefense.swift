import DPLDiffusion
import DPLNN
import DPLTensor

// MARK: - Diffusion purification as a defense

extension Defense {
    /// Diffusion purification followed by a classifier: the one purifier-as-defense path
    /// (`DefenseTransform.purification`), which `purify … | classify` in a script builds too.
    ///
    /// With `seed=fixed` or `seed=N` the call index is ignored (the same image always purifies
    /// the same way); with `seed=random(stream:)` call index c becomes purification call c + 1,
    /// so a random draw never repeats the call-0 noise. Nothing is counted: draws are addressed
    /// by what they are for (`DefenseCallIndex`), so a result does not depend on how many
    /// purifications ran before.
    public static func diffusionPurified(_ purifier: Purifier, classifier model: ImageClassifier,
                                         description: String? = nil) -> Defense {
        let transform = DefenseTransform.purification(purifier)
        return .composed([transform], classifier: model,
                         description: description ?? "\(transform.description) | classify")
    }
}
