import Foundation
import Testing
import DPLTensor
@testable import DPLDiffusion

/// Reverse steps reach the observer installed on the running thread, and nowhere else.
@Suite struct PurificationActivityTests {
    func purifier() throws -> Purifier {
        let denoiser = try AnalyticGaussianDenoiser(mean: 0.5, standardDeviation: 0.5, timeScale: .discrete(.ddpm))
        return try Purifier(model: denoiser, settings: PurificationSettings(t: 5, seed: .fixed))
    }

    @Test func everyReverseStepIsHeardInOrder() throws {
        let images = try Tensor(shape: [2, 1, 2, 2], scalars: (0..<8).map { Float($0) / 8 })
        let purifier = try purifier()
        var heard: [String] = []
        let observed = try PurificationActivity.observing({ heard.append("\($0)/\($1)") }) {
            try purifier.purify(images, sampleIDs: [1, 2], call: 0)
        }
        #expect(heard == ["0/5", "1/5", "2/5", "3/5", "4/5"])
        // Observing changes nothing.
        #expect(try purifier.purify(images, sampleIDs: [1, 2], call: 0).scalars == observed.scalars)
        // Outside the block, and on another thread inside it, nothing is heard.
        heard.removeAll()
        _ = try purifier.purify(images, sampleIDs: [1, 2], call: 0)
        var otherThread = 0
        try PurificationActivity.observing({ _, _ in otherThread += 1 }) {
            let done = DispatchSemaphore(value: 0)
            Thread { _ = try? purifier.purify(images, sampleIDs: [1, 2], call: 0); done.signal() }.start()
            done.wait()
        }
        #expect(heard.isEmpty && otherThread == 0)
    }
}
