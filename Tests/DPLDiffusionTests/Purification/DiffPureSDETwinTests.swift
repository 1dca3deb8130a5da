import Foundation
import Testing
import DPLTestSupport
import DPLNN
import DPLTensor
@testable import DPLDiffusion

/// `purify sampler=sde` against DiffPure's own code: benchmarks/diffpure_twin.py runs
/// runners/diffpure_sde.py's `RevVPSDE` through torchsde's Euler solver with the reduced NCSN++
/// of Tests/Fixtures/ncsnpp_twin.safetensors, feeding it DPL's keyed noise (forward noise and
/// each step's Gaussian), and stores what it computes in diffpure_sde_twin.safetensors.
/// DPL runs its own `Purifier` on the same images and sample ids.
@Suite("DiffPure's SDE purification against the upstream code")
struct DiffPureSDETwinTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    struct Setup {
        let twin: SafetensorsFile
        let model: NCSNpp
        let images: Tensor
        let ids: [UInt64]
    }

    func setup() throws -> Setup {
        let weights = try SafetensorsFile(contentsOf: Self.fixtures.appendingPathComponent("ncsnpp_twin.safetensors"))
        let twin = try SafetensorsFile(contentsOf: Self.fixtures.appendingPathComponent("diffpure_sde_twin.safetensors"))
        let model = try NCSNpp(NCSNpp.Configuration(nf: 16, residualBlocks: 1), key: RandomKey(seed: 1, purpose: "test"))
        try model.loadStateDict(try weights.tensors().filter { !$0.name.hasPrefix("input.") && !$0.name.hasPrefix("output") })
        let ids = try #require(twin.metadata["sample_ids"]).split(separator: ",").compactMap { UInt64($0) }
        return Setup(twin: twin, model: model, images: try twin.tensor(named: "images"), ids: ids)
    }

    let noise = PurificationNoise(seed: 0, call: 0)

    @Test func twentyStepPurificationMatches() throws {
        let s = try setup()
        let xt = try NoiseSchedule.ddpm.diffuse(s.images * 2 - 1, steps: 20, noise: noise, sampleIDs: s.ids)
        #expect(relativeError(xt, try s.twin.tensor(named: "t20.xt")) <= 1e-5)
        let process = try ReverseProcess(sampler: .sde(), t: 20, model: s.model)
        #expect(process.stepCount == 20)
        let reverse = try withoutGradients { try process.run(xt, noise: noise, sampleIDs: s.ids) }
        let reverseError = relativeError(reverse, try s.twin.tensor(named: "t20.reverse"))
        #expect(reverseError <= 1e-4, "reverse process: relative error \(reverseError)")
        let purifier = try Purifier(model: s.model, settings: PurificationSettings(t: 20, sampler: .sde(), seed: .fixed))
        let purified = try withoutGradients { try purifier.purify(s.images, sampleIDs: s.ids, noise: noise) }
        let purifiedError = relativeError(purified, try s.twin.tensor(named: "t20.purified"))
        #expect(purifiedError <= 1e-4, "purified images: relative error \(purifiedError)")
    }

    /// The exact input gradient through three Euler steps (DPL's checkpointed backward pass,
    /// PyTorch's autograd through torchsde's solver) of Σ w · purified.
    @Test func inputGradientThroughThreeStepsMatches() throws {
        let s = try setup()
        let purifier = try Purifier(model: s.model, settings: PurificationSettings(t: 3, sampler: .sde(), seed: .fixed, gradient: .full))
        let leaf = s.images.requiringGrad()
        let purified = try withGradients { try purifier.purify(leaf, sampleIDs: s.ids, noise: noise) }
        let reverse = try s.twin.tensor(named: "t3.reverse")
        #expect(relativeError(purified, try ((reverse + 1) * 0.5).clamped(min: 0, max: 1)) <= 1e-4)
        let gradient = try gradients(of: purified, wrt: [leaf], seed: try s.twin.tensor(named: "t3.weights"))[0]
        let expected = try s.twin.tensor(named: "t3.input_gradient")
        let error = relativeError(gradient, expected)
        #expect(error <= 1e-4, "input gradient: relative error \(error)")
    }
}
