import Testing
import DPLTensor
@testable import DPLDiffusion

/// The noise-model passes `Purifier.cost` reports, for each sampler, gradient mode and
/// checkpointing, against the reverse loop's structure.
@Suite("purification cost")
struct PurificationCostTests {
    func purifier(_ sampler: Sampler, t: Int = 100, gradient: GradientMode = .full,
                  checkpointing: Checkpointing = .automatic) throws -> Purifier {
        let model = try AnalyticGaussianDenoiser(mean: 0, standardDeviation: 0.5, matching: .ddpm)
        return try Purifier(model: model, settings: PurificationSettings(t: t, sampler: sampler, gradient: gradient,
                                                                          checkpointing: checkpointing))
    }

    @Test func withoutGradientsEachStepRunsOnce() throws {
        #expect(try purifier(.ddpm, t: 30).cost(batch: 8, withGradient: false) == PurificationCost(forward: 30, backward: 0))
        #expect(try purifier(.ddim(steps: 5)).cost(batch: 8, withGradient: false) == PurificationCost(forward: 5, backward: 0))
        // From t* = 0.1 to 1e-5 in steps of 0.01: 10 Euler–Maruyama steps.
        #expect(try purifier(.sde(stepSize: 0.01)).cost(batch: 8, withGradient: false) == PurificationCost(forward: 10, backward: 0))
    }

    @Test func checkpointingRecomputesEachStep() throws {
        let steps = 5
        #expect(try purifier(.ddim(steps: steps), checkpointing: .off).cost(batch: 8, withGradient: true)
                == PurificationCost(forward: steps, backward: steps))
        #expect(try purifier(.ddim(steps: steps), checkpointing: .automatic).cost(batch: 8, withGradient: true)
                == PurificationCost(forward: 2 * steps, backward: steps))
        #expect(try purifier(.ddim(steps: steps), checkpointing: .nested).cost(batch: 8, withGradient: true)
                == PurificationCost(forward: 3 * steps, backward: steps))
    }

    @Test func surrogateGradientsNeedNoBackwardPass() throws {
        #expect(try purifier(.ddim(steps: 5), gradient: .bpda).cost(batch: 8, withGradient: true)
                == PurificationCost(forward: 5, backward: 0))
    }
}
