import Foundation
import Testing
import DPLNN
import DPLTensor
@testable import DPLRuntime

/// The model library refuses a weight file it could only compute meaningless numbers with.
@Suite struct ModelLibraryTests {
    /// A model saved from a diverged training (NaN weights) used to load and classify every
    /// image as an arbitrary class without a word (issue 17).
    @Test func aModelWithNaNWeightsIsRefusedNamingTheTensor() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-nan-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configuration = CNNClassifier.Configuration(imageSize: 4, widths: [2], poolAfter: [false], hidden: 4, classes: 2)
        let model = try CNNClassifier(configuration, key: RandomKey(seed: 1, purpose: "test"))
        var state = model.stateDict()
        state[0].tensor = try Tensor(shape: state[0].tensor.shape, scalars: state[0].tensor.scalars.enumerated().map { $0.offset == 1 ? .nan : $0.element })
        try model.loadStateDict(state)
        try ModelFile.write(model, to: folder + "/nan.safetensors")
        let library = ModelLibrary(openedFiles: nil)
        #expect {
            try library.load(folder + "/nan.safetensors", baseDirectory: folder)
        } throws: { error in
            "\(error)".contains("not finite numbers (NaN or infinity) in `\(state[0].name)`")
        }
    }
}
