import DPLDiffusion
import DPLTensor
import Testing
@testable import DPLAttacks

/// Purification with the analytic Gaussian denoiser (no trained weights needed) as a defense.
@Suite struct DiffusionDefenseTests {
    func defense(seed: SeedMode, gradient: GradientMode = .full) throws -> Defense {
        let denoiser = try AnalyticGaussianDenoiser(mean: 0, standardDeviation: 0.5, timeScale: .discrete(.ddpm))
        let purifier = try Purifier(model: denoiser, settings: PurificationSettings(t: 5, seed: seed, gradient: gradient))
        return .diffusionPurified(purifier, classifier: LinearClassifier.binary(w: (0..<16).map { Float($0 % 4) - 1.5 }, b: 0))
    }

    @Test func fixedSeedIgnoresTheCallAndRandomSeedDoesNot() throws {
        let x = makeBatch(n: 2).images
        let fixed = try defense(seed: .fixed)
        #expect(!fixed.isRandomized && fixed.gradient == .exact)
        #expect(try fixed.logits(x, sampleIDs: [1, 2], call: 3).scalars == fixed.logits(x, sampleIDs: [1, 2], call: 9).scalars)
        let random = try defense(seed: .random(stream: 3))
        #expect(random.isRandomized)
        let (a, b) = (try random.logits(x, sampleIDs: [1, 2], call: 3), try random.logits(x, sampleIDs: [1, 2], call: 9))
        #expect(a.scalars != b.scalars)
        #expect(try random.logits(x, sampleIDs: [1, 2], call: 3).scalars == a.scalars)
        #expect(SeedMode.random(stream: 3).noise(call: 0) == PurificationNoise(seed: 3, call: 1))
        // The composed defense's transforms are its purified images.
        #expect(random.transforms.count == 1)
        let purified = try random.transformed(x, sampleIDs: [1, 2], call: 3)
        #expect(try random.transforms[0].apply(x, [1, 2], 3).scalars == purified.scalars)
    }

    @Test func gradientModesMapAndPGDRunsThroughPurification() throws {
        #expect(try defense(seed: .fixed, gradient: .bpda).gradient == .bpda)
        #expect(try defense(seed: .fixed, gradient: .none).gradient == .unavailable)
        let batch = makeBatch(n: 2, labels: [0, 1])
        let pgd = try PGD(budget: AttackBudget(norm: .linf, epsilon: 0.05), steps: 2, stepSize: 0.02, eot: 2)
        let run = try runAttack(pgd, on: batch, against: try defense(seed: .random(stream: 3)))
        #expect(run.flags.isEmpty || run.flags.allSatisfy { $0.kind != .randomnessWithoutEOT })
        #expect(throws: AttackError.self) { try runAttack(pgd, on: batch, against: try defense(seed: .fixed, gradient: .none)) }
    }
}
