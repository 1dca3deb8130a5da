import Foundation
import Testing
import DPLData
import DPLDiffusion
import DPLNN
import DPLTensor
@testable import DPLAttacks

/// DPL's adaptive attack on the shipped fixed-noise purifier against an independent PyTorch
/// twin (benchmarks/randomness_twin.py, which reproduces DPL's keyed noise and random starts
/// in NumPy and writes Tests/Fixtures/randomness_twin.safetensors with `--write-fixture`).
/// Test images 0–3, purification t=100 with 5 DDIM steps (eta 1) under fixed key 0, the
/// shipped U-Net and classifier: the purified images, logits, loss, input gradient through
/// the five reverse steps and PGD-3's adversarial images must agree. This is the check
/// behind docs/analyses.md's statement that DPL's fixed-randomness numbers are right.
@Suite("purification and PGD against the PyTorch twin")
struct PurificationTwinTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Setup {
        let fixture: SafetensorsFile
        let images: Tensor
        let labels: [Int]
        let ids: [UInt64]
        let defense: Defense
        let purifier: Purifier
        let classifier: ImageClassifier
    }

    func setup() throws -> Setup {
        let fixture = try SafetensorsFile(contentsOf: Self.root.appendingPathComponent("Tests/Fixtures/randomness_twin.safetensors"))
        let unet = try ModelFile(path: Self.root.appendingPathComponent("models/fmnist-unet-tiny.safetensors").path).model
        let cnn = try ModelFile(path: Self.root.appendingPathComponent("models/fmnist-cnn-small.safetensors").path).model
        let predictor = try #require(unet as? NoisePredictor)
        let classifier = try #require(cnn as? ImageClassifier)
        let purifier = try Purifier(model: predictor, settings: PurificationSettings(
            t: 100, sampler: .ddim(steps: 5, eta: 1), seed: .fixed, gradient: .full))
        let ids = try #require(fixture.metadata["sample_ids"]).split(separator: ",").compactMap { UInt64($0) }
        return Setup(fixture: fixture, images: try fixture.tensor(named: "images"),
                     labels: try fixture.tensor(named: "labels").scalars.map { Int($0) }, ids: ids,
                     defense: .diffusionPurified(purifier, classifier: classifier), purifier: purifier, classifier: classifier)
    }

    /// max |a − b| / max(1, |b|) over the elements.
    func worstRelative(_ got: [Float], _ expected: [Float]) -> Float {
        zip(got, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
    }

    @Test func sampleIDsAreDPLsOwn() throws {
        let s = try setup()
        #expect(s.ids == (0..<4).map { SampleID(dataset: "fashion-mnist", split: "test", index: $0).key })
    }

    @Test func purifiedImagesLogitsAndLossMatch() throws {
        let s = try setup()
        let purified = try withoutGradients { try s.purifier.purify(s.images, sampleIDs: s.ids, noise: PurificationNoise(seed: 0, call: 0)) }
        #expect(worstRelative(purified.scalars, try s.fixture.tensor(named: "purified").scalars) <= 1e-4)
        let logits = try withoutGradients { try s.classifier.logits(purified) }
        #expect(worstRelative(logits.scalars, try s.fixture.tensor(named: "logits").scalars) <= 1e-4)
        let loss = AttackLoss.crossEntropy.evaluate(logits: logits.scalars, classes: 10, labels: s.labels, targets: nil).values
        #expect(worstRelative(loss, try s.fixture.tensor(named: "loss").scalars) <= 1e-4)
    }

    /// The exact gradient through five DDIM steps (checkpointed in DPL, plain autograd in
    /// PyTorch): within 1e-3 in relative L2 norm, and of the same sign wherever it is above
    /// 1e-4 of the largest (44% of the pixels here). Below that lie mostly background pixels
    /// whose x̂₀ is clipped at −1: 15% of all pixels get at most ~1e-7 against a largest of
    /// ~3e-2, and summation order decides their sign.
    @Test func inputGradientThroughPurificationMatches() throws {
        let s = try setup()
        let leaf = s.images.requiringGrad()
        let logits = try withGradients { try s.defense.logits(leaf, sampleIDs: s.ids, call: 0) }
        let seed = AttackLoss.crossEntropy.evaluate(logits: logits.scalars, classes: 10, labels: s.labels, targets: nil).logitGradient
        let gradient = try gradients(of: logits, wrt: [leaf], seed: Tensor(shape: logits.shape, scalars: seed))[0].scalars
        let expected = try s.fixture.tensor(named: "input_gradient").scalars
        let errorNorm: Float = zip(gradient, expected).map { (a: Float, b: Float) -> Float in (a - b) * (a - b) }.reduce(0, +).squareRoot()
        let norm: Float = expected.map { (b: Float) -> Float in b * b }.reduce(0, +).squareRoot()
        #expect(norm > 0)
        #expect(errorNorm / norm <= 1e-3, "relative L2 error \(errorNorm / norm)")
        let noise = 1e-4 * (expected.map { abs($0) }.max() ?? 0)
        let significant = zip(gradient, expected).filter { (_: Float, b: Float) -> Bool in abs(b) > noise }
        let disagreeing = significant.filter { (a: Float, b: Float) -> Bool in a.sign != b.sign }
        #expect(significant.count > expected.count / 4, "the check must cover the pixels that steer the attack")
        #expect(disagreeing.isEmpty, "signs differ at \(disagreeing.count) of \(significant.count) pixels with |g| > \(noise)")
    }

    /// PGD-3 from DPL's keyed random start. PGD steps along sign(∇), so the pixels whose
    /// gradient is float noise (see above) wander differently in the two implementations;
    /// every pixel whose gradient at the clean image is not noise must land on the twin's
    /// value, and the attack must reach the same loss.
    @Test func pgdIteratesMatch() throws {
        let s = try setup()
        let budget = try AttackBudget(norm: .linf, epsilon: Float(8.0 / 255.0))
        let attack = try PGD(budget: budget, steps: 3, stepSize: 2.5 * budget.epsilon / 3, seed: 0)
        let batch = try AttackBatch(images: s.images, labels: s.labels, sampleIDs: s.ids)
        let adversarial = try runAttack(attack, on: batch, against: s.defense).outcome.adversarial.scalars
        let expected = try s.fixture.tensor(named: "pgd3_adversarial").scalars
        let gradient = try s.fixture.tensor(named: "input_gradient").scalars
        let noise = 1e-4 * (gradient.map { abs($0) }.max() ?? 0)
        let steered = expected.indices.filter { abs(gradient[$0]) > noise }
        let same = steered.filter { abs(adversarial[$0] - expected[$0]) <= 1e-5 }.count
        #expect(Double(same) / Double(steered.count) >= 0.99, "\(steered.count - same) of \(steered.count) steered pixels differ")
        let losses = { (images: [Float]) throws -> [Float] in
            let logits = try withoutGradients { try s.defense.logits(Tensor(shape: s.images.shape, scalars: images), sampleIDs: s.ids, call: 0) }
            return AttackLoss.crossEntropy.evaluate(logits: logits.scalars, classes: 10, labels: s.labels, targets: nil).values
        }
        let ours = try losses(adversarial), theirs = try losses(expected)
        #expect(worstRelative(ours, theirs) <= 0.05, "losses at DPL's \(ours) and the twin's \(theirs) adversarial images")
    }
}
