import Foundation
import Testing
import DPLTensor
@testable import DPLNN

/// `ModelFile.architecture(inHeaderOf:)`: the architecture from the header alone, for `dpl check`.
@Suite("model file headers")
struct ModelFileHeaderTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-modelheader-\(UUID().uuidString)").path

    @Test func theHeaderNamesTheArchitectureAndTheImagesAClassifierTakes() throws {
        let configuration = CNNClassifier.Configuration(inputChannels: 3, imageSize: 8, widths: [4], poolAfter: [true], hidden: 8, classes: 3)
        let model = try CNNClassifier(configuration, key: RandomKey(seed: 4, purpose: "test"))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/c.safetensors"
        try ModelFile.write(model, to: path)
        let architecture = try #require(try ModelFile.architecture(inHeaderOf: path))
        #expect(architecture == .cnn(configuration))
        #expect(architecture.classifierInput?.channels == 3 && architecture.classifierInput?.size == 8)
        #expect(Architecture.resnet(ResNet.Configuration()).classifierInput?.size == nil, "a ResNet pools any size")
        #expect(Architecture.unet(UNet.Configuration()).classifierInput == nil)
    }

    @Test func withoutDPLMetadataOrWithAnOversizedHeaderNothingIsKnown() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let plain = folder + "/plain.safetensors"
        try SafetensorsWriter.write([("w", try Tensor(shape: [2], scalars: [1, 2]))], metadata: [:], to: URL(fileURLWithPath: plain))
        #expect(try ModelFile.architecture(inHeaderOf: plain) == nil)
        // A length field far beyond the limit is not followed (the file is never read whole).
        let huge = folder + "/huge.safetensors"
        var bytes = [UInt8](repeating: 0xFF, count: 8)
        bytes[7] = 0x0F
        try Data(bytes + Array("{}".utf8)).write(to: URL(fileURLWithPath: huge))
        #expect(try ModelFile.architecture(inHeaderOf: huge) == nil)
        #expect(try ModelFile.architecture(inHeaderOf: folder + "/missing.safetensors") == nil)
    }
}
