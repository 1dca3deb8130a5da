import Testing
import DPLTestSupport
@testable import DPLDiffusion
import DPLTensor

/// The purifier polls its cancellation check before every reverse step, so a long
/// purification stops within one step once the check throws.
@Suite("Purifier: cancellation between reverse steps")
struct PurifierCancellationTests {
    static let model = try! AnalyticGaussianDenoiser(mean: 0, standardDeviation: 0.5, matching: .ddpm)

    func images() throws -> Tensor {
        try Tensor.uniform(shape: [2, 1, 4, 4], key: RandomKey(seed: 9, purpose: "test.images"), sampleIDs: sampleIDs(2))
    }

    @Test("a check that throws on call 5 stops a 100-step purification at step 5",
          arguments: [Sampler.ddpm, .ddim(steps: 50, eta: 0), .sde()])
    func stopsWithinOneStep(sampler: Sampler) throws {
        let check = CountingCheck(throwingFromCall: 5)
        let purifier = try Purifier(model: Self.model, settings: PurificationSettings(t: 100, sampler: sampler),
                                    checkCancellation: check.check)
        #expect(throws: Stop.self) { try purifier.purify(try images(), sampleIDs: sampleIDs(2)) }
        #expect(check.calls == 5)
    }

    @Test("the check is called once per step and does not change the result")
    func oncePerStep() throws {
        let check = CountingCheck(throwingFromCall: .max)
        let checked = try Purifier(model: Self.model, settings: PurificationSettings(t: 30), checkCancellation: check.check)
        let plain = try Purifier(model: Self.model, settings: PurificationSettings(t: 30))
        let x = try images()
        #expect(try checked.purify(x, sampleIDs: sampleIDs(2)).scalars == plain.purify(x, sampleIDs: sampleIDs(2)).scalars)
        #expect(check.calls == 30)
    }

    @Test("the backward pass's recomputed steps poll the check too")
    func backwardPolls() throws {
        let check = CountingCheck(throwingFromCall: 25)
        // Checkpointed explicitly: a process this short is otherwise kept whole (`.adaptive`).
        let purifier = try Purifier(model: Self.model, settings: PurificationSettings(t: 20, checkpointing: .nested),
                                    checkCancellation: check.check)
        let x = try images().requiringGrad()
        // 20 forward steps pass; the recomputation during the backward pass hits call 25.
        let y = try withGradients { try purifier.purify(x, sampleIDs: sampleIDs(2)) }
        #expect(throws: Stop.self) { try gradients(of: y.sum(), wrt: [x]) }
        #expect(check.calls == 25)
    }
}
