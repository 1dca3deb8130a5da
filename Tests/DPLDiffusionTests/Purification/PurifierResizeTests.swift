import Testing
import DPLNN
import DPLTensor
@testable import DPLDiffusion

/// `PurificationSettings.size`: the resize DiffPure applies around its ImageNet model. The
/// numbers against upstream are in DiffPureGuidedTwinTests; these pin the edges.
@Suite("Purifier: purifying at another size")
struct PurifierResizeTests {
    let noise = PurificationNoise(seed: 3, call: 0)

    @Test func theImagesOwnSizeIsNoResize() throws {
        let model = try TinyNoiseModel(features: 16)
        let images = try Tensor(shape: [2, 1, 4, 4], scalars: (0..<32).map { Float($0 % 7) / 7 })
        let plain = try Purifier(model: model, settings: PurificationSettings(t: 5, sampler: .guided))
        let same = try Purifier(model: model, settings: PurificationSettings(t: 5, sampler: .guided, size: 4))
        let a = try withoutGradients { try plain.purify(images, sampleIDs: [1, 2], noise: noise) }
        let b = try withoutGradients { try same.purify(images, sampleIDs: [1, 2], noise: noise) }
        #expect(a.scalars == b.scalars)
    }

    /// 3×3 images purified at 4×4 come back 3×3, and the gradient reaches them through both
    /// resizes (finite differences).
    @Test func resizesThereAndBackWithItsGradient() throws {
        let model = try TinyNoiseModel(features: 16)
        let purifier = try Purifier(model: model, settings: PurificationSettings(t: 3, sampler: .guided, size: 4))
        let images = try Tensor(shape: [1, 1, 3, 3], scalars: [0.2, 0.5, 0.7, 0.1, 0.9, 0.4, 0.6, 0.3, 0.8])
        let out = try withoutGradients { try purifier.purify(images, sampleIDs: [7], noise: noise) }
        #expect(out.shape == [1, 1, 3, 3])
        let w = try Tensor(shape: [1, 1, 3, 3], scalars: [1, -2, 0.5, 0.3, -1, 2, -0.7, 1.1, 0.4])
        let mismatches = try finiteDifferenceMismatches(at: images, cotangent: w) { x in
            try purifier.purify(x, sampleIDs: [7], noise: noise)
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// A model that takes only 4×4 images (as the ADM takes only 256×256).
    final class FourByFourModel: NoisePredictor {
        func predictNoise(_ x: Tensor, timesteps: [Float]) throws -> Tensor { x * 0.1 }
        var inputSize: Int? { 4 }
    }

    /// 3×3 images meet a 4×4 model: without a size the error says to purify at the model's;
    /// with it they purify.
    @Test func aModelOfAnotherSizeAsksForSizeModel() throws {
        let images = try Tensor(shape: [1, 1, 3, 3], scalars: [0.2, 0.5, 0.7, 0.1, 0.9, 0.4, 0.6, 0.3, 0.8])
        let plain = try Purifier(model: FourByFourModel(), settings: PurificationSettings(t: 3, sampler: .guided))
        do {
            _ = try withoutGradients { try plain.purify(images, sampleIDs: [7], noise: noise) }
            Issue.record("a 3×3 batch purified with a 4×4 model")
        } catch let error as DiffusionError {
            #expect(error.description.contains("4×4") && error.description.contains("size=model"), "\(error)")
        }
        let resized = try Purifier(model: FourByFourModel(), settings: PurificationSettings(t: 3, sampler: .guided, size: 4))
        #expect(try withoutGradients { try resized.purify(images, sampleIDs: [7], noise: noise) }.shape == [1, 1, 3, 3])
    }

    @Test func refusesASizeBelowOne() throws {
        let model = try TinyNoiseModel(features: 16)
        #expect(throws: DiffusionError.self) {
            try Purifier(model: model, settings: PurificationSettings(t: 3, size: 0))
        }
    }
}
