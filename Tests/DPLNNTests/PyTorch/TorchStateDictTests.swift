import Foundation
import Testing
import DPLTensor
@testable import DPLNN

/// Finding a model's weights inside real checkpoint layouts: wrapper dicts, `module.`
/// prefixes, missing `num_batches_tracked`, score_sde's EMA, and the errors for everything else.
@Suite("PyTorch state_dict selection")
struct TorchStateDictTests {
    func tinyModel() throws -> ResNet { try ResNet(ResNetTests.tiny, key: RandomKey(seed: 3, purpose: "test")) }

    /// The model's logits on the fixture input, against `output` (or `output.ema`).
    func expectReference(_ model: ResNet, output: String = "output") throws {
        let reference = try SafetensorsFile(contentsOf: PyTorchFixtures.url("resnet_tiny_reference.safetensors"))
        let logits = try withoutGradients { try model.logits(try reference.tensor(named: "input")) }
        let expected = try reference.tensor(named: output)
        var worst: Float = 0
        for (a, b) in zip(logits.scalars, expected.scalars) { worst = max(worst, abs(a - b) / max(1, abs(b))) }
        #expect(worst <= 1e-4, "largest relative difference \(worst) against \(output)")
    }

    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func wrappedCheckpointFindsTheOnlyStateDict() throws {
        let model = try tinyModel()
        try model.loadTorchCheckpoint(try PyTorchFixtures.checkpoint("resnet_tiny_wrapped.pt"))
        try expectReference(model)
        let named = try tinyModel()
        try named.loadTorchCheckpoint(try PyTorchFixtures.checkpoint("resnet_tiny_wrapped.pt"), key: "model")
        try expectReference(named)
    }

    @Test func dataParallelPrefixesAndMissingCountersAreHandled() throws {
        let checkpoint = try PyTorchFixtures.checkpoint("resnet_tiny_dataparallel.pt")
        let selected = try checkpoint.selectStateDict(key: nil, parameterNames: [])
        #expect(selected.allSatisfy { !$0.name.hasPrefix("module.") && !$0.name.hasSuffix("num_batches_tracked") })
        let model = try tinyModel()
        try model.loadTorchCheckpoint(checkpoint)
        try expectReference(model)
    }

    @Test func scoreSDECheckpointIsAmbiguousWithoutAKey() throws {
        let checkpoint = try PyTorchFixtures.checkpoint("resnet_tiny_score_sde.pt")
        let error = message { try tinyModel().loadTorchCheckpoint(checkpoint) }
        #expect(error.contains("`optimizer` (dict), `model` (state_dict of"), "\(error)")
        #expect(error.contains("`ema` (EMA of 53 parameters), `step` (int)"))
        #expect(error.contains("name one with key= (e.g. key=model)"))
    }

    @Test func scoreSDEModelAndEMAWeights() throws {
        let checkpoint = try PyTorchFixtures.checkpoint("resnet_tiny_score_sde.pt")
        let raw = try tinyModel()
        try raw.loadTorchCheckpoint(checkpoint, key: "model")
        try expectReference(raw)
        // key=ema: parameters from shadow_params in order, BatchNorm statistics from `model`.
        let ema = try tinyModel()
        try ema.loadTorchCheckpoint(checkpoint, key: "ema")
        try expectReference(ema, output: "output.ema")
    }

    @Test func emaOfAnotherArchitectureIsRefusedByCount() throws {
        let checkpoint = try PyTorchFixtures.checkpoint("resnet_tiny_score_sde.pt")
        let other = try ResNet(.init(layers: [2, 1, 1, 1], baseWidth: 4, classes: 5), key: RandomKey(seed: 0, purpose: "t"))
        let error = message { try other.loadTorchCheckpoint(checkpoint, key: "ema") }
        #expect(error.contains("has 53 tensors in `ema.shadow_params` but the model has 62 parameters"), "\(error)")
    }

    @Test func unknownKeyListsTheEntries() throws {
        let checkpoint = try PyTorchFixtures.checkpoint("resnet_tiny_wrapped.pt")
        let error = message { try tinyModel().loadTorchCheckpoint(checkpoint, key: "state_dict") }
        #expect(error.hasPrefix("resnet_tiny_wrapped.pt: has no entry `state_dict`; its entries are `model` (state_dict of"), "\(error)")
        #expect(error.contains("`optimizer` (dict), `epoch` (int)"))
        let notWeights = message { try tinyModel().loadTorchCheckpoint(checkpoint, key: "epoch") }
        #expect(notWeights.contains("entry `epoch` holding a int that is not a state_dict"), "\(notWeights)")
    }

    @Test func wrongArchitectureListsTheFirstMismatches() throws {
        let checkpoint = try PyTorchFixtures.checkpoint("resnet_tiny.pt")
        let wider = try ResNet(.init(layers: [1, 1, 1, 2], baseWidth: 8, classes: 5), key: RandomKey(seed: 0, purpose: "t"))
        let error = #expect(throws: StateDictError.self) { try wider.loadTorchCheckpoint(checkpoint) }
        #expect(error?.missing.first == "layer4.1.conv1.weight")
        #expect(error?.missing.last == "… 7 more")   // 15 tensors of layer4.1 minus its counters: 8 shown
        #expect(error?.wrongShapes.count == 8)
        #expect(error?.wrongShapes.first.map { $0.name == "conv1.weight" && $0.expected == [8, 3, 7, 7] && $0.found == [4, 3, 7, 7] } == true)
    }

    @Test func stateDictsNeedADict() throws {
        var p = PickleBytes()
        p.op(0x5D); p.stop()   // a list
        var legacy = PickleBytes()
        legacy.op(0x8A, [10] + TorchCheckpoint.legacyMagic); legacy.stop()
        let error = message { _ = try TorchCheckpoint(data: legacy.data + p.data, fileName: "list.pt") }
        #expect(error.contains("legacy protocol version"), "\(error)")
    }
}
