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

    @Test func bytesInMemoryReadAsTheFileDoesAndErrorsNameThePath() throws {
        let model = try CNNClassifier(CNNClassifier.Configuration(imageSize: 8, widths: [4], poolAfter: [true], hidden: 8, classes: 3),
                                      key: RandomKey(seed: 4, purpose: "test"))
        let path = folder + "/c.safetensors"
        try ModelFile.write(model, to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let loaded = try ModelFile(data: data, path: "from-memory.safetensors")
        #expect(loaded.architecture == Architecture(of: model))
        #expect(loaded.path == "from-memory.safetensors")
        #expect(loaded.model.stateDict().map(\.tensor.scalars) == model.stateDict().map(\.tensor.scalars))
        let error = #expect(throws: (any Error).self) { try ModelFile(data: data.prefix(20), path: "cut.safetensors") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("cut.safetensors"))
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

// MARK: - Hostile metadata (issue 17)

/// A ~240-byte model file used to crash or exhaust memory: its architecture metadata was
/// trusted before validation. Every size is now checked, naming the file and the field, and
/// the weights the architecture implies are compared with those in the file before allocating.
@Suite("model files with hostile metadata")
struct ModelFileMetadataTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-modelmeta-\(UUID().uuidString)").path

    /// A file with one small tensor and the given architecture metadata.
    private func file(_ family: String, _ configuration: String, name: String = "m.safetensors") throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try SafetensorsWriter.write([("w", try Tensor(shape: [4], scalars: [1, 2, 3, 4]))],
                                    metadata: ["dpl.architecture": family, "dpl.configuration": configuration],
                                    to: URL(fileURLWithPath: path))
        return path
    }

    /// The default configuration of `family` (cnn-small, unet-tiny, wrn-28-10) as JSON, with
    /// the fields written in `changes` (a JSON object) replaced.
    private func configuration(_ family: String, _ changes: String) throws -> String {
        let encoder = JSONEncoder()
        let defaults: Data
        switch family {
        case "cnn": defaults = try encoder.encode(CNNClassifier.Configuration.small)
        case "unet": defaults = try encoder.encode(UNet.Configuration.tiny)
        case "ncsnpp": defaults = try encoder.encode(NCSNpp.Configuration.cifar10)
        case "adm": defaults = try encoder.encode(ADMUNet.Configuration.imagenet256)
        default: defaults = try encoder.encode(WideResNet.Configuration.wrn28x10)
        }
        var fields = try JSONSerialization.jsonObject(with: defaults) as? [String: Any] ?? [:]
        let changed = try JSONSerialization.jsonObject(with: Data(changes.utf8)) as? [String: Any] ?? [:]
        fields.merge(changed) { _, new in new }
        return String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
    }

    private func loadError(_ family: String, _ changes: String) throws -> String {
        let path = try file(family, try configuration(family, changes))
        let error = #expect(throws: ModelFileError.self) { try ModelFile(path: path) }
        let text = error?.description ?? ""
        #expect(text.hasPrefix(path + ": "))
        return text
    }

    @Test func unetGroupsZeroIsAFieldErrorNotADivisionByZero() throws {
        #expect(try loadError("unet", #"{"groups":0}"#).contains(
            "has a unet `dpl.configuration` with `groups` = 0, which must be from 1 to 32; the file is damaged or was not made for this DPL"))
        #expect(try loadError("unet", #"{"groups":5}"#).contains("with `groups` = 5, which must divide every level's width (32 is one)"))
    }

    @Test func overflowingSizesAreFieldErrors() throws {
        #expect(try loadError("cnn", #"{"imageSize":1099511627776}"#).contains("with `imageSize` = 1099511627776, which must be from 1 to 4096"))
        #expect(try loadError("cnn", #"{"classes":4611686018427387904}"#).contains("with `classes` = 4611686018427387904, which must be from 2 to 100000"))
        #expect(try loadError("cnn", #"{"hidden":1000000000}"#).contains("with `hidden` = 1000000000, which must be from 1 to 16384"))
        #expect(try loadError("wrn", #"{"widenFactor":1099511627776}"#).contains("with `widenFactor` = 1099511627776, which must be from 1 to 64"))
        #expect(try loadError("wrn", #"{"depth":60000004}"#).contains("with `depth` = 60000004, which must be from 10 to 1000"))
        #expect(try loadError("wrn", #"{"depth":29}"#).contains("with `depth` = 29, which must be 6n+4"))
        #expect(try loadError("cnn", #"{"widths":[],"poolAfter":[]}"#).contains("whose `widths` has 0 entries, which must be from 1 to 64"))
    }

    @Test func ncsnppSizesAreFieldErrors() throws {
        #expect(try loadError("ncsnpp", #"{"nf":18}"#).contains("with `nf` = 18, which gives a layer of width 18, which GroupNorm cannot split into 4 groups"))
        #expect(try loadError("ncsnpp", #"{"residualBlocks":1000000}"#).contains("with `residualBlocks` = 1000000, which must be from 1 to 64"))
        #expect(try loadError("ncsnpp", #"{"imageSize":36}"#).contains("with `imageSize` = 36, which must be divisible by 8"))
        #expect(try loadError("ncsnpp", #"{"scales":4611686018427387904}"#).contains("with `scales` = 4611686018427387904, which must be from 1 to 100000"))
        #expect(try loadError("ncsnpp", #"{"sigmaMin":0}"#).contains("with `sigmaMin` = 0.0, which must be a positive number"))
        #expect(try loadError("ncsnpp", #"{"channelMultipliers":[1,2,2,2,2,2,2,2,2]}"#).contains("whose `channelMultipliers` has 9 entries, which must be from 1 to 8"))
        #expect(try loadError("ncsnpp", #"{"imageSize":4096,"attentionResolutions":[4096]}"#).contains("with `attentionResolutions[0]` = 4096, which must be from 1 to 64"))
        #expect(try loadError("ncsnpp", "{}").contains("describes a ncsnpp model of 106633579 weights, but holds 4"))
    }

    @Test func admSizesAreFieldErrors() throws {
        #expect(try loadError("adm", #"{"headChannels":0}"#).contains("with `headChannels` = 0, which must be from 1 to 16384"))
        #expect(try loadError("adm", #"{"headChannels":48}"#).contains("with `headChannels` = 48, which must divide every attention block's width (512 is one)"))
        #expect(try loadError("adm", #"{"modelChannels":40}"#).contains("with `modelChannels` = 40, which must be a multiple of 32"))
        #expect(try loadError("adm", #"{"attentionResolutions":[128]}"#).contains("with `attentionResolutions[0]` = 128, which must be from 1 to 64"))
        #expect(try loadError("adm", "{}").contains("describes a adm model of 552814086 weights, but holds 4"))
    }

    /// Sizes within the bounds can still describe far more weights than a small file holds.
    @Test func architectureLargerThanTheFileIsRefusedBeforeAllocating() throws {
        let text = try loadError("wrn", #"{"depth":994,"widenFactor":64}"#)
        #expect(text.contains("describes a wrn model of"))
        #expect(text.contains("weights, but holds 4; the `dpl.configuration` does not match the tensors in the file"))
        #expect(try loadError("cnn", "{}").contains("describes a cnn model of 1701130 weights, but holds 4"))
    }

    /// The count that guards allocation is the model's own: compared with built models.
    @Test func stateElementCountMatchesBuiltModels() throws {
        let key = RandomKey(seed: 1, purpose: "test")
        let architectures: [Architecture] = [
            .cnn(.small), .cnn(.init(inputChannels: 3, imageSize: 32, widths: [8, 16], poolAfter: [true, false], hidden: 12, classes: 7)),
            .unet(.tiny), .unet(.init(imageChannels: 3, imageSize: 16, baseWidth: 8, channelMultipliers: [1, 3], groups: 4)),
            .wrn(.init(depth: 10, widenFactor: 1, imageSize: 8, classes: 4)), .wrn(.init(depth: 16, widenFactor: 2)),
            .ncsnpp(.init(imageChannels: 3, imageSize: 16, nf: 8, channelMultipliers: [1, 2, 3], residualBlocks: 2,
                          attentionResolutions: [8, 4], scales: 10)),
            .ncsnpp(.init(imageChannels: 1, imageSize: 8, nf: 12, channelMultipliers: [2, 1], residualBlocks: 1,
                          attentionResolutions: [], skipRescale: false, centered: false)),
            .adm(.init(imageChannels: 3, imageSize: 8, modelChannels: 32, channelMultipliers: [1, 2], residualBlocks: 1,
                       attentionResolutions: [4], headChannels: 16)),
        ]
        for architecture in architectures {
            try architecture.validate(path: "built")
            let model = try architecture.makeModel(key: key)
            let built = model.stateDict().reduce(0) { $0 + $1.tensor.scalars.count }
            #expect(architecture.stateElementCount == built, "\(architecture)")
        }
    }

    @Test func wideResNetNamesAreBounded() {
        #expect(Architecture(named: "wrn-60000004-10") == nil)
        #expect(Architecture(named: "wrn-28-1099511627776") == nil)
        #expect(Architecture(named: "wrn-70-16") == .wrn(.init(depth: 70, widenFactor: 16)))
    }
}
