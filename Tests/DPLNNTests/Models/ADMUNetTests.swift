import Foundation
import Testing
import DPLTensor
import DPLTestSupport
@testable import DPLNN

/// DPL's `ADMUNet` against guided-diffusion's `UNetModel` run by benchmarks/diffpure_twin.py:
/// DiffPure's ImageNet configuration reduced to 16×16, 32 channels, channel_mult (1, 2), one
/// block per level, attention at 8 with 16 channels per head; random weights saved under
/// upstream's state_dict names.
@Suite("ADM U-Net against guided-diffusion")
struct ADMUNetTests {
    static let reduced = ADMUNet.Configuration(imageSize: 16, modelChannels: 32, channelMultipliers: [1, 2],
                                               residualBlocks: 1, attentionResolutions: [8], headChannels: 16)

    func fixture() throws -> SafetensorsFile {
        try SafetensorsFile(contentsOf: NCSNppTests.fixtures.appendingPathComponent("adm_twin.safetensors"))
    }

    @Test func parameterNamesAndOrderAreUpstreams() throws {
        let file = try fixture()
        let model = try ADMUNet(Self.reduced, key: RandomKey(seed: 1, purpose: "test"))
        let upstreamOrder = try #require(file.metadata["parameter_order"]).split(separator: ",").map(String.init)
        #expect(model.namedParameters().map(\.name) == upstreamOrder)
    }

    @Test func outputMatchesUpstream() throws {
        let file = try fixture()
        let model = try ADMUNet(Self.reduced, key: RandomKey(seed: 1, purpose: "test"))
        try model.loadStateDict(try file.tensors().filter { !$0.name.hasPrefix("input.") && $0.name != "output" })
        let x = try file.tensor(named: "input.x"), t = try file.tensor(named: "input.t").scalars
        let output = try withoutGradients { try model.output(x, timesteps: t) }
        let expected = try file.tensor(named: "output")
        #expect(output.shape == expected.shape)
        let scale = expected.scalars.map(abs).max() ?? 0
        let worst = zip(output.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(scale > 0.1)
        #expect(worst / scale <= 1e-4, "largest difference \(worst) against largest value \(scale)")
        // The noise prediction is the ε half: the first three channels.
        let epsilon = try withoutGradients { try model.predictNoise(x, timesteps: t) }
        #expect(epsilon.scalars == (try output.slice(axis: 1, range: 0..<3)).scalars)
    }

    /// DiffPure's ImageNet model: upstream's count (printed by benchmarks/diffpure_twin.py and
    /// stored in the fixture) against DPL's count from the configuration, which is checked
    /// against built models here.
    @Test func fullConfigurationHasUpstreamsParameterCount() throws {
        let upstream = try #require(try fixture().metadata["full_parameter_count"].flatMap { Int($0) })
        #expect(upstream == 552_814_086)
        #expect(ADMUNet.Configuration.imagenet256.parameterCount == upstream)
        for configuration in [Self.reduced, .init(imageChannels: 1, imageSize: 16, modelChannels: 32, channelMultipliers: [1, 2, 1],
                                                  residualBlocks: 2, attentionResolutions: [8], headChannels: 8, learnSigma: false)] {
            let built = try ADMUNet(configuration, key: RandomKey(seed: 1, purpose: "test"))
            #expect(configuration.parameterCount == built.parameters().reduce(0) { $0 + $1.value.count })
        }
    }

    @Test func inputGradientMatchesFiniteDifferences() throws {
        // 8×8 images keep every GroupNorm group (one channel each at 32 channels) at 16 or more
        // values, where the normalization is smooth enough for central differences.
        let model = try ADMUNet(.init(imageChannels: 1, imageSize: 8, modelChannels: 32, channelMultipliers: [1, 1],
                                      residualBlocks: 1, attentionResolutions: [4], headChannels: 16),
                                key: RandomKey(seed: 2, purpose: "test"))
        var random = TestRandom(seed: 3)
        try checkGradients([random.tensor([1, 1, 8, 8])], step: 3e-3, atol: 3e-3, rtol: 3e-2) { inputs in
            try model.predictNoise(inputs[0], timesteps: [250.5])
        }
    }
}
