import Testing
@testable import DPLDiffusion
import DPLTensor

@Suite("Purifier: gradient modes")
struct PurifierGradientTests {
    static let shape = [2, 1, 4, 4]

    func images() throws -> Tensor {
        // Inside [0.3, 0.7] so that no clamp (x̂₀ clipping, final [0, 1] clamp) is near a kink.
        try Tensor.uniform(shape: Self.shape, key: RandomKey(seed: 8, purpose: "test.images"),
                           sampleIDs: sampleIDs(2), low: 0.3, high: 0.7)
    }

    func cotangent() throws -> Tensor {
        try Tensor.normal(shape: Self.shape, key: RandomKey(seed: 8, purpose: "test.cotangent"), sampleIDs: sampleIDs(2))
    }

    static let shortSamplers: [(Sampler, Int)] = [(.ddpm, 4), (.ddim(steps: 3, eta: 0.5), 6), (.sde(), 4)]

    @Test("full: the gradient through a short reverse process matches finite differences",
          arguments: 0..<shortSamplers.count)
    func fullGradientFiniteDifferences(index: Int) throws {
        let (sampler, t) = Self.shortSamplers[index]
        let model = try TinyNoiseModel(features: 16)
        let purifier = try Purifier(model: model, settings: PurificationSettings(t: t, sampler: sampler, seed: .seed(3)))
        let mismatches = try finiteDifferenceMismatches(at: images(), cotangent: cotangent()) { x in
            try purifier.purify(x, sampleIDs: sampleIDs(2))
        }
        #expect(mismatches.isEmpty, "\(sampler): \(mismatches.prefix(3))")
    }

    @Test("full: checkpointed and non-checkpointed gradients agree", arguments: [Sampler.ddpm, .sde()])
    func checkpointingPreservesGradient(sampler: Sampler) throws {
        let model = try TinyNoiseModel(features: 16)
        var gradientsByMode = [[Float]]()
        for checkpointing in [Checkpointing.off, .automatic, .nested, .adaptive, .segments(of: 3), .segments(of: 1)] {
            let settings = PurificationSettings(t: 10, sampler: sampler, seed: .seed(5), checkpointing: checkpointing)
            let purifier = try Purifier(model: model, settings: settings)
            let x = try images().requiringGrad()
            let y = try purifier.purify(x, sampleIDs: sampleIDs(2))
            gradientsByMode.append(try gradients(of: y, wrt: [x], seed: cotangent())[0].scalars)
        }
        for other in gradientsByMode.dropFirst() {
            for (a, b) in zip(gradientsByMode[0], other) { #expect(abs(a - b) <= 1e-6 * max(1, abs(a))) }
        }
    }

    @Test("full without an input that needs a gradient builds no graph")
    func noGraphForInference() throws {
        let purifier = try Purifier(model: TinyNoiseModel(features: 16), settings: PurificationSettings(t: 4))
        #expect(!(try purifier.purify(images(), sampleIDs: sampleIDs(2))).requiresGrad)
    }

    @Test("bpda: the same value as full, and the backward pass is the identity")
    func bpda() throws {
        let model = try TinyNoiseModel(features: 16)
        let bpda = try Purifier(model: model, settings: PurificationSettings(t: 4, gradient: .bpda))
        let full = try Purifier(model: model, settings: PurificationSettings(t: 4, gradient: .full))
        let x = try images().requiringGrad()
        let y = try bpda.purify(x, sampleIDs: sampleIDs(2))
        #expect(y.scalars == (try full.purify(x, sampleIDs: sampleIDs(2))).scalars)
        let w = try cotangent()
        #expect(try gradients(of: y, wrt: [x], seed: w)[0].scalars == w.scalars)
        #expect(bpda.passesGradients)
    }

    @Test("none: backpropagating through purification throws a clear error")
    func blocked() throws {
        let purifier = try Purifier(model: TinyNoiseModel(features: 16), settings: PurificationSettings(t: 4, gradient: .none))
        #expect(!purifier.passesGradients)
        #expect(throws: DiffusionError.self) { try purifier.requireGradients(for: "pgd") }
        let x = try images().requiringGrad()
        let y = try purifier.purify(x, sampleIDs: sampleIDs(2))
        do {
            _ = try gradients(of: y, wrt: [x])
            Issue.record("expected grad=none to block the backward pass")
        } catch let error as DiffusionError {
            #expect(error.message.contains("grad=none"))
        }
    }
}
