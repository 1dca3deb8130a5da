import Foundation
import Testing
import DPLTensor
@testable import DPLNN

@Suite("model files")
struct ModelFileTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-modelfile-\(UUID().uuidString)").path

    @Test func roundTripKeepsArchitectureWeightsAndMetadata() throws {
        let model = try UNet(UNet.Configuration(imageSize: 8, baseWidth: 8, channelMultipliers: [1, 2], groups: 4),
                             key: RandomKey(seed: 3, purpose: "test"))
        let path = folder + "/u.safetensors"
        try ModelFile.write(model, metadata: ["note": "x"], to: path)
        let loaded = try ModelFile(path: path)
        #expect(loaded.architecture == Architecture(of: model))
        #expect(loaded.metadata["note"] == "x")
        #expect(loaded.model.stateDict().map(\.tensor.scalars) == model.stateDict().map(\.tensor.scalars))
    }

    @Test func wideResNetRoundTripKeepsRunningStatistics() throws {
        let model = try WideResNet(.init(depth: 10, widenFactor: 1, imageSize: 8, classes: 4), key: RandomKey(seed: 5, purpose: "test"))
        model.setTraining(true)
        let images = try Tensor(shape: [2, 3, 8, 8], scalars: (0..<384).map { Float($0 % 7) / 7 })
        _ = try withoutGradients { try model.logits(images) }
        model.setTraining(false)
        let path = folder + "/wrn.safetensors"
        try ModelFile.write(model, to: path)
        let loaded = try ModelFile(path: path)
        #expect(loaded.architecture == .wrn(model.configuration))
        #expect(loaded.model.stateDict().map(\.name) == model.stateDict().map(\.name))
        #expect(loaded.model.stateDict().map(\.tensor.scalars) == model.stateDict().map(\.tensor.scalars))
        #expect(model.stateDict().first { $0.name == "bn1.running_mean" }?.tensor.scalars.contains { $0 != 0 } == true)
    }

    @Test func pyTorchStateDictLoadsWithANamedArchitecture() throws {
        let model = try CNNClassifier(.small, key: RandomKey(seed: 4, purpose: "test"))
        let path = folder + "/torch.safetensors"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try SafetensorsWriter.write(model.stateDict(), to: URL(fileURLWithPath: path))   // no DPL metadata
        let error = #expect(throws: ModelFileError.self) { try ModelFile(path: path) }
        #expect(error?.description.contains("arch=cnn-small") == true)
        let loaded = try ModelFile(path: path, fallback: .cnn(.small))
        #expect(loaded.model.stateDict().map(\.tensor.scalars) == model.stateDict().map(\.tensor.scalars))
    }

    @Test func weightsOfAnotherShapeNameTheFileAndTheTensors() throws {
        let fixture = ReferenceModelTests.fixtures.appendingPathComponent("cnn_reference.safetensors").path
        let error = #expect(throws: ModelFileError.self) { try ModelFile(path: fixture, fallback: .cnn(.small)) }
        #expect(error?.description.contains("cnn_reference.safetensors") == true)
        #expect(error?.description.contains("conv1.weight") == true)
    }
}
