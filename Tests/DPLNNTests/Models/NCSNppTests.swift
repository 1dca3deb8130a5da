import Foundation
import Testing
import DPLTensor
import DPLTestSupport
@testable import DPLNN

/// DPL's `ncsnpp` against score_sde's `NCSNpp` run by benchmarks/diffpure_twin.py (upstream
/// NVlabs/DiffPure at the commit named in the fixture's metadata): DiffPure's CIFAR-10
/// configuration reduced to nf 16 and one residual block per level (32×32, ch_mult
/// (1, 2, 2, 2), attention at 16), random weights saved under upstream's state_dict names.
@Suite("NCSN++ against score_sde")
struct NCSNppTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static let reduced = NCSNpp.Configuration(nf: 16, residualBlocks: 1)

    func fixture() throws -> SafetensorsFile {
        try SafetensorsFile(contentsOf: Self.fixtures.appendingPathComponent("ncsnpp_twin.safetensors"))
    }

    /// The reduced model with the fixture's weights.
    static func twinModel() throws -> NCSNpp {
        let file = try SafetensorsFile(contentsOf: fixtures.appendingPathComponent("ncsnpp_twin.safetensors"))
        let model = try NCSNpp(reduced, key: RandomKey(seed: 1, purpose: "test"))
        try model.loadStateDict(try file.tensors().filter { !$0.name.hasPrefix("input.") && !$0.name.hasPrefix("output") })
        return model
    }

    @Test func parameterNamesAndOrderAreUpstreams() throws {
        let file = try fixture()
        let model = try NCSNpp(Self.reduced, key: RandomKey(seed: 1, purpose: "test"))
        let upstreamOrder = try #require(file.metadata["parameter_order"]).split(separator: ",").map(String.init)
        // Order matters beyond loading by name: score_sde's EMA is a list in parameters() order.
        #expect(model.namedParameters().map(\.name) == upstreamOrder)
        let weights = Set(file.names.filter { !$0.hasPrefix("input.") && !$0.hasPrefix("output") })
        #expect(Set(model.stateDict().map(\.name)) == weights)
    }

    @Test func outputMatchesUpstream() throws {
        let file = try fixture()
        let model = try Self.twinModel()
        let labels = try file.tensor(named: "input.labels").scalars
        let output = try withoutGradients { try model.predictNoise(file.tensor(named: "input.x"), timesteps: labels) }
        let expected = try file.tensor(named: "output")
        #expect(output.shape == expected.shape)
        let scale = expected.scalars.map(abs).max() ?? 0
        let worst = zip(output.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(scale > 0.1)
        #expect(worst / scale <= 1e-4, "largest difference \(worst) against largest value \(scale)")
    }

    /// DiffPure's CIFAR-10 model: upstream's count printed by benchmarks/diffpure_twin.py and
    /// stored in the fixture, against the model DPL builds (and the count that guards loading).
    @Test func fullConfigurationHasUpstreamsParameterCount() throws {
        let file = try fixture()
        let upstream = try #require(file.metadata["full_parameter_count"].flatMap { Int($0) })
        let upstreamState = try #require(file.metadata["full_state_count"].flatMap { Int($0) })
        #expect(upstream == 106_632_579)
        let model = try NCSNpp(.cifar10, key: RandomKey(seed: 1, purpose: "test"))
        #expect(model.parameters().reduce(0) { $0 + $1.value.count } == upstream)
        #expect(Architecture.ncsnpp(.cifar10).stateElementCount == upstreamState)
        #expect(Architecture(named: "ncsnpp") == .ncsnpp(.cifar10))
    }

    /// The same bits for one and two engine threads, output and input gradient.
    @Test func resultsDoNotDependOnTheThreadCount() throws {
        let file = try fixture()
        let model = try Self.twinModel()
        let x = try file.tensor(named: "input.x"), labels = try file.tensor(named: "input.labels").scalars
        func run() throws -> [Float] {
            let leaf = x.requiringGrad()
            let output = try withGradients { try model.predictNoise(leaf, timesteps: labels) }
            return output.scalars + (try gradients(of: output, wrt: [leaf], seed: output.detached())[0].scalars)
        }
        let one = try EngineThreads.with(1) { try run() }
        let two = try EngineThreads.with(2) { try run() }
        #expect(one == two)
    }

    @Test func sigmasAreTheGeometricNoiseLevels() throws {
        let file = try fixture()
        let model = try NCSNpp(Self.reduced, key: RandomKey(seed: 1, purpose: "test"))
        let expected = try file.tensor(named: "sigmas").scalars
        let built = model.namedBuffers()[0].buffer.value.scalars
        #expect(zip(built, expected).allSatisfy { abs($0 - $1) <= 1e-6 * $1 })
    }

    @Test func wrongInputsAreErrors() throws {
        let model = try NCSNpp(NCSNpp.Configuration(imageSize: 8, nf: 8, channelMultipliers: [1, 2], residualBlocks: 1,
                                                    attentionResolutions: [4]), key: RandomKey(seed: 1, purpose: "test"))
        #expect(throws: TensorError.self) { try model.predictNoise(.zeros([1, 3, 16, 16]), timesteps: [1]) }
        #expect(throws: TensorError.self) { try model.predictNoise(.zeros([2, 3, 8, 8]), timesteps: [1]) }
        #expect(throws: TensorError.self) { try NCSNpp(.init(imageSize: 12, nf: 8), key: RandomKey(seed: 1, purpose: "test")) }
    }

    /// The whole network's input gradient by finite differences, on a tiny configuration with
    /// attention, resampling and skip rescaling (doubles as the backward check of the blocks).
    @Test func inputGradientMatchesFiniteDifferences() throws {
        let model = try NCSNpp(NCSNpp.Configuration(imageChannels: 1, imageSize: 4, nf: 4, channelMultipliers: [1, 2],
                                                    residualBlocks: 1, attentionResolutions: [2]),
                               key: RandomKey(seed: 2, purpose: "test"))
        var random = TestRandom(seed: 3)
        try checkGradients([random.tensor([2, 1, 4, 4])], step: 1e-2, atol: 3e-3, rtol: 3e-2) { inputs in
            try model.predictNoise(inputs[0], timesteps: [3, 250.5])
        }
    }
}

@Suite("NCSN++ blocks")
struct NCSNppBlockTests {
    @Test func attentionGradientMatchesFiniteDifferences() throws {
        let block = try NCSNppAttentionBlock(channels: 8, skipRescale: true, key: RandomKey(seed: 4, purpose: "test"))
        var random = TestRandom(seed: 5)
        try checkGradients([random.tensor([2, 8, 3, 3])]) { try block($0[0]) }
    }

    /// Attention against the formula written out: softmax over pixels of q·k/√C, then Σ w v.
    @Test func attentionIsSoftmaxOfScaledDotProducts() throws {
        let block = try NCSNppAttentionBlock(channels: 4, skipRescale: false, key: RandomKey(seed: 6, purpose: "test"))
        var random = TestRandom(seed: 7)
        for nin in block.nin { try nin.bias.assign(random.tensor([4])) }
        let x = random.tensor([1, 4, 2, 2])
        let got = try withoutGradients { try block(x) }.scalars
        let h = try block.groupNorm0(x)
        let (q, k, v) = (try block.nin[0](h).scalars, try block.nin[1](h).scalars, try block.nin[2](h).scalars)
        var attended = [Float](repeating: 0, count: 16)
        for p in 0..<4 {
            let logits = (0..<4).map { r in (0..<4).reduce(0) { $0 + Double(q[$1 * 4 + p]) * Double(k[$1 * 4 + r]) } / 2 }
            let top = logits.max() ?? 0
            let weights = logits.map { exp($0 - top) }
            let total = weights.reduce(0, +)
            for c in 0..<4 { attended[c * 4 + p] = Float((0..<4).reduce(0) { $0 + weights[$1] / total * Double(v[c * 4 + $1]) }) }
        }
        let expected = try x + block.nin[3](Tensor(shape: [1, 4, 2, 2], scalars: attended))
        #expect(zip(got, expected.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test func residualBlocksGradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 8)
        for resampling in [NCSNppResidualBlock.Resampling.none, .up, .down] {
            let block = try NCSNppResidualBlock(inChannels: 4, outChannels: resampling == .none ? 8 : 4, timeWidth: 6,
                                                resampling: resampling, skipRescale: true, key: RandomKey(seed: 9, purpose: "test"))
            try checkGradients([random.tensor([2, 4, 4, 4]), random.tensor([2, 6])]) { try block($0[0], activatedTime: $0[1]) }
        }
    }
}
