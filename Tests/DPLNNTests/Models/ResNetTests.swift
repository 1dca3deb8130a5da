import Foundation
import Testing
import DPLTensor
@testable import DPLNN

/// torchvision's ResNet: parameter names and counts, and logits against torchvision's on a
/// tiny configuration (Tests/Fixtures/make_pytorch_fixtures.py: one bottleneck per stage, base
/// width 4, 5 classes, BatchNorm statistics off their defaults). The full ResNet-50 was compared
/// with torchvision locally (benchmarks/resnet50_twin.py; docs/models.md has the result).
@Suite("ResNet against torchvision")
struct ResNetTests {
    static let tiny = ResNet.Configuration(layers: [1, 1, 1, 1], baseWidth: 4, classes: 5)

    func expectClose(_ got: Tensor, _ expected: Tensor, tolerance: Float = 1e-4) {
        #expect(got.shape == expected.shape)
        var worst: Float = 0
        for (a, b) in zip(got.scalars, expected.scalars) { worst = max(worst, abs(a - b) / max(1, abs(b))) }
        #expect(worst <= tolerance, "largest relative difference \(worst)")
    }

    @Test func resNet50HasTorchvisionsParameterCount() throws {
        let model = try ResNet(.resnet50, key: RandomKey(seed: 0, purpose: "test"))
        let parameters = model.parameters().reduce(0) { $0 + $1.value.count }
        #expect(parameters == 25_557_032)   // sum(p.numel() for p in torchvision.models.resnet50().parameters())
        let state = model.stateDict()
        #expect(state.count == 320)          // len(torchvision.models.resnet50().state_dict())
        #expect(Architecture.resnet(.resnet50).stateElementCount == state.reduce(0) { $0 + $1.tensor.count })
        let names = state.map(\.name)
        #expect(names.prefix(3) == ["conv1.weight", "bn1.weight", "bn1.bias"])
        #expect(names.contains("layer1.0.downsample.0.weight") && names.contains("layer4.2.bn3.running_var"))
        #expect(!names.contains("layer1.1.downsample.0.weight"))
        #expect(names.contains("fc.weight"))
        #expect(Architecture(named: "resnet50") == .resnet(.resnet50))
    }

    @Test func tinyResNetMatchesTorchvision() throws {
        let reference = try SafetensorsFile(contentsOf: PyTorchFixtures.url("resnet_tiny_reference.safetensors"))
        let model = try ResNet(Self.tiny, key: RandomKey(seed: 1, purpose: "test"))
        try model.loadTorchCheckpoint(try PyTorchFixtures.checkpoint("resnet_tiny.pt"))
        let logits = try withoutGradients { try model.logits(try reference.tensor(named: "input")) }
        let expected = try reference.tensor(named: "output")
        let worst = zip(logits.scalars, expected.scalars).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        print("tiny ResNet vs torchvision: largest relative difference \(worst) over \(expected.count) logits")
        expectClose(logits, expected)
    }

    @Test func savedResNetsKeepTheirConfigurationAndNormalization() throws {
        let configuration = ResNet.Configuration(layers: [1, 1, 1, 1], baseWidth: 4, classes: 5, mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4])
        let model = try ResNet(configuration, key: RandomKey(seed: 4, purpose: "test"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resnet-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.write(model, to: path)
        let file = try ModelFile(path: path)
        #expect(file.architecture == .resnet(configuration))
        let x = Tensor(repeating: 0.3, shape: [1, 3, 12, 12])
        guard let loaded = file.model as? ResNet else { Issue.record("not a ResNet"); return }
        #expect(try withoutGradients { try loaded.logits(x).scalars } == (try withoutGradients { try model.logits(x).scalars }))
    }

    @Test func stateElementCountMatchesTheBuiltModel() throws {
        for configuration in [Self.tiny, ResNet.Configuration(layers: [2, 1, 3, 1], baseWidth: 8, inputChannels: 1, classes: 7, mean: [0.5], std: [0.25])] {
            let model = try ResNet(configuration, key: RandomKey(seed: 0, purpose: "test"))
            #expect(Architecture.resnet(configuration).stateElementCount == model.stateDict().reduce(0) { $0 + $1.tensor.count })
            try Architecture.resnet(configuration).validate(path: "m.safetensors")
        }
    }

    @Test func inputGradientsFlowThroughTheNormalization() throws {
        let model = try ResNet(Self.tiny, key: RandomKey(seed: 2, purpose: "test"))
        let x = Tensor(repeating: 0.5, shape: [1, 3, 16, 16]).requiringGrad()
        let grads = try gradients(of: try model.logits(x).sum(), wrt: [x])
        #expect(grads[0].shape == [1, 3, 16, 16])
        #expect(grads[0].scalars.contains { $0 != 0 })
    }

    @Test func refusesBadConfigurations() {
        #expect(throws: TensorError.self) { try ResNet(.init(layers: [1, 1, 1]), key: RandomKey(seed: 0, purpose: "t")) }
        #expect(throws: TensorError.self) { try ResNet(.init(std: [1, 0, 1]), key: RandomKey(seed: 0, purpose: "t")) }
        let bad = Architecture.resnet(.init(layers: [1, 1, 1, 1], baseWidth: 4, mean: [0.5]))
        let error = #expect(throws: ModelFileError.self) { try bad.validate(path: "m.safetensors") }
        #expect(error?.description.contains("`mean` has 1 entries, which must be 3") == true)
        #expect(throws: TensorError.self) { try ResNet(Self.tiny, key: RandomKey(seed: 0, purpose: "t")).logits(Tensor.zeros([1, 1, 8, 8])) }
    }

    /// The full ResNet-50 against torchvision, when benchmarks/resnet50_twin.py has written its
    /// (100 MB, uncommitted) checkpoint to $DPL_RESNET50_TWIN.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DPL_RESNET50_TWIN"] != nil))
    func fullResNet50MatchesTorchvision() throws {
        let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["DPL_RESNET50_TWIN"] ?? "")
        let file = try ModelFile(pyTorchCheckpoint: folder.appendingPathComponent("resnet50.pth").path, architecture: .resnet(.resnet50))
        let reference = try SafetensorsFile(contentsOf: folder.appendingPathComponent("resnet50_reference.safetensors"))
        guard let model = file.model as? ResNet else { Issue.record("not a ResNet"); return }
        let logits = try withoutGradients { try model.logits(try reference.tensor(named: "input")) }
        let expected = try reference.tensor(named: "output")
        var worst: Float = 0
        for (a, b) in zip(logits.scalars, expected.scalars) { worst = max(worst, abs(a - b) / max(1, abs(b))) }
        print("ResNet-50 vs torchvision: largest relative difference \(worst) over \(expected.count) logits")
        expectClose(logits, expected)
    }
}
