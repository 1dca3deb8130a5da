import Foundation
import Testing
import DPLTensor
@testable import DPLNN

/// DPL's models against PyTorch: Tests/Fixtures/*_reference.safetensors hold PyTorch weights,
/// an input and PyTorch's output for a small configuration of each architecture (made by
/// Tests/Fixtures/make_model_fixtures.py). Loading the weights by their state_dict names and
/// running the same input must reproduce the output: this checks names, layouts and the math.
@Suite("models against PyTorch")
struct ReferenceModelTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// Splits a fixture file into (weights, tensors named input.* and output).
    func loadFixture(_ name: String) throws -> (file: SafetensorsFile, weights: [(name: String, tensor: Tensor)]) {
        let file = try SafetensorsFile(contentsOf: Self.fixtures.appendingPathComponent(name))
        let weights = try file.names.filter { !$0.hasPrefix("input.") && !$0.hasPrefix("output") }
            .map { (name: $0, tensor: try file.tensor(named: $0)) }
        return (file, weights)
    }

    func expectClose(_ got: Tensor, _ expected: Tensor, tolerance: Float = 1e-4) {
        #expect(got.shape == expected.shape)
        var worst: Float = 0
        for (a, b) in zip(got.scalars, expected.scalars) { worst = max(worst, abs(a - b) / max(1, abs(b))) }
        #expect(worst <= tolerance, "largest relative difference \(worst)")
    }

    @Test func cnnMatchesPyTorch() throws {
        let (file, weights) = try loadFixture("cnn_reference.safetensors")
        let config = CNNClassifier.Configuration(inputChannels: 2, imageSize: 8, widths: [4, 6, 8],
                                                 poolAfter: [false, true, true], hidden: 16, classes: 5)
        let model = try CNNClassifier(config, key: RandomKey(seed: 1, purpose: "test"))
        #expect(model.namedParameters().map(\.name) == weights.map(\.name).sorted { a, b in
            model.namedParameters().firstIndex { $0.name == a }! < model.namedParameters().firstIndex { $0.name == b }!
        })
        try model.loadStateDict(weights)
        let logits = try withoutGradients { try model.logits(file.tensor(named: "input.x")) }
        expectClose(logits, try file.tensor(named: "output"))
    }

    @Test func unetMatchesPyTorch() throws {
        let (file, weights) = try loadFixture("unet_reference.safetensors")
        let config = UNet.Configuration(imageChannels: 1, imageSize: 8, baseWidth: 8, channelMultipliers: [1, 2, 2],
                                        timeEmbeddingWidth: 16, timeWidth: 32, groups: 4)
        let model = try UNet(config, key: RandomKey(seed: 1, purpose: "test"))
        #expect(Set(model.namedParameters().map(\.name)) == Set(weights.map(\.name)))
        try model.loadStateDict(weights)
        let timesteps = try file.tensor(named: "input.t").scalars
        let noise = try withoutGradients { try model.predictNoise(file.tensor(named: "input.x"), timesteps: timesteps) }
        expectClose(noise, try file.tensor(named: "output"))
    }

    @Test func wideResNetMatchesPyTorch() throws {
        let (file, weights) = try loadFixture("wrn_reference.safetensors")
        let config = WideResNet.Configuration(depth: 10, widenFactor: 1, inputChannels: 3, imageSize: 8, classes: 5)
        let model = try WideResNet(config, key: RandomKey(seed: 1, purpose: "test"))
        let ours = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor.shape) })
        let theirs = Dictionary(uniqueKeysWithValues: weights.map { ($0.name, $0.tensor.shape) })
        #expect(ours == theirs, "parameter and buffer names and shapes must match PyTorch's state_dict")
        try model.loadStateDict(weights)
        #expect(model.stateDict().first { $0.name == "bn1.num_batches_tracked" }?.tensor.scalars == [3])
        let x = try file.tensor(named: "input.x")
        expectClose(try withoutGradients { try model.logits(x) }, try file.tensor(named: "output"))
        model.setTraining(true)
        expectClose(try withoutGradients { try model.logits(x) }, try file.tensor(named: "output.train"))
    }

    @Test func wideResNetNamesFollowRobustBench() throws {
        let model = try WideResNet(.init(depth: 16, widenFactor: 2, imageSize: 8), key: RandomKey(seed: 0, purpose: "test"))
        let names = model.stateDict().map(\.name)
        #expect(names.first == "conv1.weight" && names.contains("block1.layer.1.bn2.running_var"))
        #expect(names.contains("block1.layer.0.convShortcut.weight"), "16 → 32 channels needs a projection")
        #expect(!names.contains("block1.layer.1.convShortcut.weight"))
        #expect(model.namedParameters().map(\.name).suffix(2) == ["fc.weight", "fc.bias"])
        #expect(try model.logits(.zeros([2, 3, 8, 8])).shape == [2, 10])
    }

    @Test func wideResNetNamesAndBadConfigurations() throws {
        #expect(Architecture(named: "wrn-28-10") == .wrn(.wrn28x10))
        #expect(Architecture(named: "wrn-16-4") == .wrn(.wrn16x4))
        #expect(Architecture(named: "wrn-40-2") == .wrn(.init(depth: 40, widenFactor: 2)))
        for bad in ["wrn-27-10", "wrn-28", "wrn-4-1", "wrn-28-0", "wrn-28-x"] { #expect(Architecture(named: bad) == nil) }
        let error = #expect(throws: TensorError.self) {
            try WideResNet(.init(depth: 20), key: RandomKey(seed: 0, purpose: "test"))
        }
        #expect(error?.description.contains("6n+4") == true)
    }

    @Test func largerArchitecturesHaveTheDocumentedSizes() throws {
        // PyTorch's counts for the twin modules (python benchmarks/torch_reference_models.py).
        func count(_ name: String) throws -> Int {
            let model = try #require(Architecture(named: name)).makeModel(key: RandomKey(seed: 0, purpose: "test"))
            return model.parameters().reduce(0) { $0 + $1.value.count }
        }
        #expect(try count("wrn-28-10") == 36_479_194)
        #expect(try count("wrn-16-4") == 2_748_890)
        #expect(try count("unet") == 2_613_569)
        let unet = try #require(try Architecture(named: "unet")?.makeModel(key: RandomKey(seed: 0, purpose: "test")) as? UNet)
        #expect(unet.configuration.widths == [64, 128, 128])
        let noise = try withoutGradients { try unet.predictNoise(.zeros([1, 1, 28, 28]), timesteps: [10]) }
        #expect(noise.shape == [1, 1, 28, 28])
    }

    @Test func defaultArchitecturesHaveTheDocumentedSizes() throws {
        // The counts PyTorch reports for the same modules (benchmarks/torch_reference_models.py).
        let cnn = try CNNClassifier(.small, key: RandomKey(seed: 0, purpose: "test"))
        let unet = try UNet(.tiny, key: RandomKey(seed: 0, purpose: "test"))
        #expect(cnn.parameters().reduce(0) { $0 + $1.value.count } == 1_701_130)
        #expect(unet.parameters().reduce(0) { $0 + $1.value.count } == 698_657)
    }

    @Test func wrongImageShapeIsAClearError() throws {
        let cnn = try CNNClassifier(.small, key: RandomKey(seed: 0, purpose: "test"))
        let error = #expect(throws: TensorError.self) { try cnn.logits(.zeros([2, 3, 32, 32])) }
        #expect(error?.description.contains("[N, 1, 28, 28]") == true)
        #expect(error?.description.contains("[2, 3, 32, 32]") == true)
    }
}
