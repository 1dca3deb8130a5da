import Testing
@testable import DPLDiffusion
import DPLNN
import DPLTensor

/// The full gradient through a few reverse steps of a real (tiny) U-Net: convolutions,
/// GroupNorm, SiLU, the time embedding and skip concatenations all on the path.
@Suite("Purifier: full gradient through a tiny U-Net")
struct PurifierUNetGradientTests {
    static let configuration = UNet.Configuration(imageSize: 8, baseWidth: 8, channelMultipliers: [1, 1], groups: 4)

    func fixtures() throws -> (UNet, Tensor, Tensor) {
        let model = try UNet(Self.configuration, key: RandomKey(seed: 2, purpose: "test.unet"))
        let images = try Tensor.uniform(shape: [2, 1, 8, 8], key: RandomKey(seed: 8, purpose: "test.images"),
                                        sampleIDs: [0, 1], low: 0.3, high: 0.7)
        let w = try Tensor.normal(shape: [2, 1, 8, 8], key: RandomKey(seed: 8, purpose: "test.cotangent"), sampleIDs: [0, 1])
        return (model, images, w)
    }

    @Test("matches finite differences through 3 DDPM steps and 3 SDE steps", arguments: [Sampler.ddpm, .sde()])
    func finiteDifferences(sampler: Sampler) throws {
        let (model, images, w) = try fixtures()
        let purifier = try Purifier(model: model, settings: PurificationSettings(t: 3, sampler: sampler, seed: .seed(1)))
        let mismatches = try finiteDifferenceMismatches(at: images, cotangent: w) { x in
            try purifier.purify(x, sampleIDs: [0, 1])
        }
        #expect(mismatches.isEmpty, "\(sampler): \(mismatches.prefix(3))")
    }

    @Test("checkpointed segments give the gradient of the plain graph")
    func checkpointing() throws {
        let (model, images, w) = try fixtures()
        var results = [[Float]]()
        for checkpointing in [Checkpointing.off, .automatic, .nested, .adaptive, .segments(of: 2)] {
            let purifier = try Purifier(model: model, settings: PurificationSettings(t: 6, seed: .seed(1), checkpointing: checkpointing))
            let x = images.requiringGrad()
            results.append(try gradients(of: purifier.purify(x, sampleIDs: [0, 1]), wrt: [x], seed: w)[0].scalars)
        }
        for other in results.dropFirst() {
            for (a, b) in zip(results[0], other) { #expect(abs(a - b) <= 1e-6 * max(1, abs(a))) }
        }
    }
}
