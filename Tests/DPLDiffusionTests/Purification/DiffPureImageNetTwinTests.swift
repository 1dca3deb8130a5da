import Foundation
import Testing
import DPLTestSupport
import DPLNN
import DPLTensor
@testable import DPLDiffusion

/// DiffPure's two ImageNet purifications against its own code: benchmarks/diffpure_guided_twin.py
/// runs runners/diffpure_guided.py's `image_editing_sample` (guided-diffusion's `p_sample` with
/// the learned variance; `purify sampler=guided`) and runners/diffpure_sde.py's `RevVPSDE` with
/// `score_type='guided_diffusion'` (`purify sampler=sde` on an ADM) inside eval_sde_adv.py's
/// 28 → 32 → 28 bilinear resize (ImageNet's 224 → 256 → 224 at 7:8), with the reduced ADM of
/// Tests/Fixtures/adm_twin.safetensors built at 32×32 and DPL's keyed noise, and stores what it
/// computes in diffpure_guided_twin.safetensors. DPL runs its own `Purifier` on the same images
/// and ids.
@Suite("DiffPure's ImageNet purifications against the upstream code")
struct DiffPureImageNetTwinTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    /// adm_twin's reduced configuration at 32×32: attention at 16 is the same downsampling
    /// factor (2) as at 8 for 16×16, so the parameters are the same.
    static let configuration = ADMUNet.Configuration(imageSize: 32, modelChannels: 32, channelMultipliers: [1, 2],
                                                     residualBlocks: 1, attentionResolutions: [16], headChannels: 16)

    struct Setup {
        let twin: SafetensorsFile
        let model: ADMUNet
        let images: Tensor
        let ids: [UInt64]
    }

    func setup() throws -> Setup {
        let weights = try SafetensorsFile(contentsOf: Self.fixtures.appendingPathComponent("adm_twin.safetensors"))
        let twin = try SafetensorsFile(contentsOf: Self.fixtures.appendingPathComponent("diffpure_guided_twin.safetensors"))
        let model = try ADMUNet(Self.configuration, key: RandomKey(seed: 1, purpose: "test"))
        try model.loadStateDict(try weights.tensors().filter { !$0.name.hasPrefix("input.") && $0.name != "output" })
        let ids = try #require(twin.metadata["sample_ids"]).split(separator: ",").compactMap { UInt64($0) }
        return Setup(twin: twin, model: model, images: try twin.tensor(named: "images"), ids: ids)
    }

    let noise = PurificationNoise(seed: 0, call: 0)

    /// Ten `p_sample` steps, nine of them adding noise with the learned variance.
    @Test func tenStepPurificationMatches() throws {
        let s = try setup()
        let purifier = try Purifier(model: s.model, settings: PurificationSettings(t: 10, sampler: .guided, seed: .fixed, size: 32))
        #expect(purifier.reverseProcess.stepCount == 10)
        let purified = try withoutGradients { try purifier.purify(s.images, sampleIDs: s.ids, noise: noise) }
        let expected = try s.twin.tensor(named: "t10.purified")
        let error = relativeError(purified, expected)
        #expect(error <= 1e-5, "purified images: relative error \(error)")
        // The twin must see purification do something: images move by about 0.14 on average.
        let moved = zip(expected.scalars, s.images.scalars).map { abs($0 - $1) }.reduce(0, +) / Float(expected.count)
        #expect(moved > 0.05)
    }

    /// The exact input gradient of Σ w · purified through the resize, three steps and the resize
    /// back (DPL's backward pass against PyTorch's autograd through upstream's calls).
    /// Measured: 1.9e-7 for the gradient, 2.5e-7 for the images; 6.1e-7 above at t = 10.
    @Test func inputGradientThroughThreeStepsMatches() throws {
        let s = try setup()
        let purifier = try Purifier(model: s.model, settings: PurificationSettings(t: 3, sampler: .guided, seed: .fixed,
                                                                                    gradient: .full, size: 32))
        let leaf = s.images.requiringGrad()
        let purified = try withGradients { try purifier.purify(leaf, sampleIDs: s.ids, noise: noise) }
        #expect(relativeError(purified, try s.twin.tensor(named: "t3.purified")) <= 1e-5)
        let gradient = try gradients(of: purified, wrt: [leaf], seed: try s.twin.tensor(named: "t3.weights"))[0]
        let error = relativeError(gradient, try s.twin.tensor(named: "t3.input_gradient"))
        #expect(error <= 1e-5, "input gradient: relative error \(error)")
    }

    /// runners/diffpure_sde.py with the ADM, 20 Euler–Maruyama steps: the model is called at
    /// ⌊τ·1000⌋. Measured: reverse process 1.9e-6, purified 8.3e-7. Calling it at τ·999 as for
    /// NCSN++ (labels up to one step apart) moved upstream's own reverse output by 1.1e-4.
    @Test func sdeWithTheADMMatches() throws {
        let s = try setup()
        #expect(s.model.continuousTimeLabel == .flooredStep)
        let modelImages = try s.images.resizeBilinear(height: 32, width: 32)
        let xt = try NoiseSchedule.ddpm.diffuse(modelImages * 2 - 1, steps: 20, noise: noise, sampleIDs: s.ids)
        let process = try ReverseProcess(sampler: .sde(), t: 20, model: s.model)
        let reverse = try withoutGradients { try process.run(xt, noise: noise, sampleIDs: s.ids) }
        let reverseError = relativeError(reverse, try s.twin.tensor(named: "sde.t20.reverse"))
        #expect(reverseError <= 1e-5, "reverse process: relative error \(reverseError)")
        let purifier = try Purifier(model: s.model, settings: PurificationSettings(t: 20, sampler: .sde(), seed: .fixed, size: 32))
        let purified = try withoutGradients { try purifier.purify(s.images, sampleIDs: s.ids, noise: noise) }
        let error = relativeError(purified, try s.twin.tensor(named: "sde.t20.purified"))
        #expect(error <= 1e-5, "purified images: relative error \(error)")
    }

    /// The exact input gradient through the resizes and three SDE steps with the ADM.
    /// Measured: 5.2e-7 for the gradient, 1.9e-6 for the images.
    @Test func sdeInputGradientThroughThreeStepsMatches() throws {
        let s = try setup()
        let purifier = try Purifier(model: s.model, settings: PurificationSettings(t: 3, sampler: .sde(), seed: .fixed,
                                                                                    gradient: .full, size: 32))
        let leaf = s.images.requiringGrad()
        let purified = try withGradients { try purifier.purify(leaf, sampleIDs: s.ids, noise: noise) }
        #expect(relativeError(purified, try s.twin.tensor(named: "sde.t3.purified")) <= 1e-5)
        let gradient = try gradients(of: purified, wrt: [leaf], seed: try s.twin.tensor(named: "t3.weights"))[0]
        let error = relativeError(gradient, try s.twin.tensor(named: "sde.t3.input_gradient"))
        #expect(error <= 1e-5, "input gradient: relative error \(error)")
    }
}
