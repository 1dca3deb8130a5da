import Foundation
import Testing
import DPLLang
import DPLNN
import DPLTensor
@testable import DPLRuntime

/// `model "file.pth" arch=… key=…`: PyTorch checkpoints through the script language and the
/// model library (Tests/Fixtures/pytorch, made by Tests/Fixtures/make_pytorch_fixtures.py).
@Suite("model stage: PyTorch checkpoints")
struct ModelStageTests {
    static let fixtures = BuiltinStagesTests.packageRoot.appendingPathComponent("Tests/Fixtures/pytorch").path
    static let tiny = ResNet.Configuration(layers: [1, 1, 1, 1], baseWidth: 4, classes: 5)

    func runError(_ source: String) throws -> String {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        return session.run(SourceFile(name: "test.dpl", text: source)).errorText ?? "no error"
    }

    @Test func aMaliciousCheckpointIsRefusedAndNothingRuns() throws {
        let error = try runError("model \"\(Self.fixtures)/malicious_os_system.pt\" arch=resnet50\n")
        #expect(error.contains("malicious_os_system.pt: `malicious/data.pkl` references the global `posix.system`"), "\(error)")
        #expect(error.contains("executes nothing"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/dpl-pwned"))
    }

    @Test func aCheckpointNeedsAnArchitecture() throws {
        let error = try runError("model \"\(Self.fixtures)/resnet_tiny.pt\"\n")
        #expect(error.contains("is a PyTorch checkpoint, which holds weights but not the architecture; name it: model \"resnet_tiny.pt\" arch=resnet50"), "\(error)")
    }

    @Test func theWrongArchitectureListsMismatches() throws {
        let error = try runError("model \"\(Self.fixtures)/resnet_tiny_wrapped.pt\" arch=resnet50 key=model\n")
        #expect(error.contains("does not fit resnet (key=model): state dict does not fit the module: missing tensor \"layer1.1.conv1.weight\""), "\(error)")
        #expect(error.contains("tensor \"conv1.weight\" has shape [4, 3, 7, 7] but the module needs [64, 3, 7, 7]"))
        #expect(error.contains("Check arch= and key="))
    }

    @Test func keyIsForPyTorchCheckpointsOnly() throws {
        let error = try runError("model \"\(Self.fixtures)/tensors_expected.safetensors\" key=model\n")
        #expect(error.contains("key= picks the state_dict inside a PyTorch checkpoint"), "\(error)")
    }

    @Test func modelAndEMAWeightsOfOneFileAreTwoModels() throws {
        let library = ModelLibrary()
        let path = Self.fixtures + "/resnet_tiny_score_sde.pt"
        let raw = try library.load(path, baseDirectory: "/", fallback: .resnet(Self.tiny), key: "model")
        let ema = try library.load(path, baseDirectory: "/", fallback: .resnet(Self.tiny), key: "ema")
        #expect(raw !== ema)
        #expect(try library.load(path, baseDirectory: "/", fallback: .resnet(Self.tiny), key: "ema") === ema)
        #expect(ema.metadata["dpl.pytorch.key"] == "ema")
        #expect(ema.metadata["dpl.input.mean"] == "0.485,0.456,0.406")
        let reference = try SafetensorsFile(contentsOf: URL(fileURLWithPath: Self.fixtures + "/resnet_tiny_reference.safetensors"))
        let input = try reference.tensor(named: "input")
        for (value, output) in [(raw, "output"), (ema, "output.ema")] {
            guard let classifier = value.classifier else { Issue.record("not a classifier"); continue }
            let logits = try withoutGradients { try classifier.logits(input) }
            let expected = try reference.tensor(named: output)
            let worst = zip(logits.scalars, expected.scalars).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 1
            #expect(worst <= 1e-4, "\(output): \(worst)")
        }
    }

    @Test func anAmbiguousCheckpointListsItsEntries() throws {
        let library = ModelLibrary()
        do {
            _ = try library.load(Self.fixtures + "/resnet_tiny_score_sde.pt", baseDirectory: "/", fallback: .resnet(Self.tiny))
            Issue.record("loaded an ambiguous checkpoint")
        } catch {
            #expect("\(error)".contains("weights are under `model`, `ema`; name one with key= (e.g. key=model)"), "\(error)")
        }
    }
}
