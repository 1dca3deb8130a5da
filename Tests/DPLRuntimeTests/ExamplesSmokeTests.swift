import Foundation
import Testing
import DPLData
import DPLLang
import DPLNN
import DPLTensor
@testable import DPLRuntime

/// Every script under examples/ — including ones added later — runs to the end in smoke mode
/// through a real session over the built-in stages, with the shipped models and the system's
/// Fashion-MNIST, as `dpl run FILE --smoke` would run it. A failure shows the script's own
/// diagnostics and output. (`ExampleScriptTests` in BuiltinStagesTests.swift checks them all.)
@Suite("examples in smoke mode", .serialized)
struct ExamplesSmokeTests {
    /// The repository's examples folder, found from this file's path.
    static let examplesFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples").path

    /// Every `.dpl` file under examples/, as paths relative to it, sorted.
    static let scripts: [String] = {
        guard let walker = FileManager.default.enumerator(atPath: examplesFolder) else { return [] }
        return walker.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".dpl") && !$0.split(separator: "/").contains { $0 == "out" || $0.hasPrefix(".") } }
            .sorted()
    }()

    @Test func examplesExist() {
        #expect(Self.scripts.count >= 5, "found only \(Self.scripts) in \(Self.examplesFolder)")
    }

    @Test(arguments: scripts)
    func runsInSmokeMode(_ script: String) throws {
        let source = try Self.source(script)
        // Outputs go to a temporary folder; smoke mode then writes under <out>/smoke/.
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-smoke-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let printed = LineBox()
        // As `dpl run X --smoke --set out=… --allow-write <out> --allow-write models`: the
        // out folder is outside the examples, and the training scripts write models/.
        let models = (Self.examplesFolder as NSString).deletingLastPathComponent + "/models"
        let policy = WritePolicy(allowedFolders: [out, models])
        let session = Session(registry: try BuiltinStages.makeRegistry(writePolicy: policy)) { printed.lines.append($0) }
        for assignment in ["smoke=true", "out=\"\(out)\""] {
            let outcome = session.applySetting(assignment)
            #expect(outcome.errorText == nil, "--set \(assignment): \(outcome.errorText ?? "")")
        }
        let started = Date()
        let outcome = session.run(source)
        let seconds = Date().timeIntervalSince(started)
        let output = printed.lines.joined(separator: "\n")
        #expect(outcome.errorText == nil, "dpl run \(script) --smoke failed:\n\(outcome.errorText ?? "")\noutput:\n\(output)")
        // The language announces a default source while binding, before any stage (and so the
        // runtime's smoke announcement) runs; a script that reads the `data` setting
        // (diffpure-cifar10.dpl) starts with that line when no data is set.
        let announced = printed.lines.drop { $0.hasPrefix("no input piped in and no `data` set: reading the default source") }
        #expect(announced.first?.hasPrefix("smoke run: sizes reduced") == true,
                "a smoke run must say so first; it printed:\n\(output)")
        // Nothing was written next to the script: every file went under the temporary out folder.
        let written = output.split(separator: "\n").filter { $0.hasPrefix("saved ") }
        for line in written {
            #expect(line.hasPrefix("saved \(out)/smoke/"), "\(script) wrote outside <out>/smoke: \(line)")
        }
        // Seconds on an idle machine; the bound only catches a stage that ignores smoke mode.
        #expect(seconds < 300, "\(script) took \(Int(seconds)) s in smoke mode; a stage is not shrinking its work")
    }

    /// examples/diffpure-cifar10.dpl as its header tells a user to run it, with its three settings
    /// pointing at CIFAR-10-shaped stand-ins: four images in the CIFAR-10 binary format, the
    /// reduced random-weight NCSN++ of the upstream twin (Tests/Fixtures/ncsnpp_twin.safetensors,
    /// saved with DPL metadata) and a random WideResNet-10-1.
    @Test func diffPureCIFAR10RunsOnStandIns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-cifar-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/cifar", withIntermediateDirectories: true)
        var records = Data()
        for index in 0..<4 {
            records.append(UInt8(index % 10))
            records.append(contentsOf: (0..<3072).map { UInt8(($0 * 7 + index * 31) % 256) })
        }
        try records.write(to: URL(fileURLWithPath: folder + "/cifar/test_batch.bin"))
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ncsnpp_twin.safetensors")
        let weights = try SafetensorsFile(contentsOf: fixtures)
        let score = try NCSNpp(.init(nf: 16, residualBlocks: 1), key: RandomKey(seed: 1, purpose: "test"))
        try score.loadStateDict(try weights.tensors().filter { !$0.name.hasPrefix("input.") && !$0.name.hasPrefix("output") })
        try ModelFile.write(score, to: folder + "/score.safetensors")
        try ModelFile.write(try WideResNet(.init(depth: 10, widenFactor: 1), key: RandomKey(seed: 2, purpose: "test")),
                            to: folder + "/wrn.safetensors")

        let printed = LineBox()
        // As `dpl run … --allow-write <folder>`: the out folder is outside the examples.
        let policy = WritePolicy(allowedFolders: [folder])
        let session = Session(registry: try BuiltinStages.makeRegistry(writePolicy: policy)) { printed.lines.append($0) }
        for assignment in ["smoke=true", "out=\"\(folder)/out\"", "data=load cifar10 path=\"\(folder)/cifar\" split=test n=4",
                           "diffusion=model \"\(folder)/score.safetensors\"", "classifier=model \"\(folder)/wrn.safetensors\""] {
            let outcome = session.applySetting(assignment)
            #expect(outcome.errorText == nil, "--set \(assignment): \(outcome.errorText ?? "")")
        }
        let outcome = session.run(try Self.source("diffpure-cifar10.dpl"))
        let output = printed.lines.joined(separator: "\n")
        #expect(outcome.errorText == nil, "\(outcome.errorText ?? "")\noutput:\n\(output)")
        #expect(output.contains("sampler=sde") && output.contains("score.safetensors") && output.contains("wrn.safetensors"), "\(output)")
        #expect(!output.contains("default source"), "\(output)")
    }

    /// examples/diffpure-imagenet.dpl as its header tells a user to run it, with ImageNet-shaped
    /// stand-ins at 7:8 of ImageNet's 224 : 256: eight 28×28 RGB PNGs in two class folders, the
    /// reduced learned-sigma ADM of the upstream twin built at 32×32
    /// (Tests/Fixtures/adm_twin.safetensors, saved with DPL metadata; `size=model` then resizes
    /// 28 → 32 → 28) and a random torchvision-layout ResNet with two classes.
    @Test func diffPureImageNetRunsOnStandIns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-imagenet-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for label in 0..<2 {
            let classFolder = folder + "/images/n0000000\(label)"
            try FileManager.default.createDirectory(atPath: classFolder, withIntermediateDirectories: true)
            for index in 0..<4 {
                let pixels = (0..<(3 * 28 * 28)).map { Float(($0 * 7 + index * 31 + label * 57) % 256) / 255 }
                try PNGEncoder.write(try Tensor(shape: [3, 28, 28], scalars: pixels), to: classFolder + "/\(index).png")
            }
        }
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/adm_twin.safetensors")
        let weights = try SafetensorsFile(contentsOf: fixtures)
        let adm = try ADMUNet(.init(imageSize: 32, modelChannels: 32, channelMultipliers: [1, 2], residualBlocks: 1,
                                    attentionResolutions: [16], headChannels: 16), key: RandomKey(seed: 1, purpose: "test"))
        try adm.loadStateDict(try weights.tensors().filter { !$0.name.hasPrefix("input.") && $0.name != "output" })
        try ModelFile.write(adm, to: folder + "/adm.safetensors")
        try ModelFile.write(try ResNet(.init(layers: [1, 1, 1, 1], baseWidth: 4, classes: 2), key: RandomKey(seed: 2, purpose: "test")),
                            to: folder + "/resnet.safetensors")

        let printed = LineBox()
        let policy = WritePolicy(allowedFolders: [folder])
        let session = Session(registry: try BuiltinStages.makeRegistry(writePolicy: policy)) { printed.lines.append($0) }
        for assignment in ["smoke=true", "out=\"\(folder)/out\"", "data=load images path=\"\(folder)/images\"",
                           "diffusion=model \"\(folder)/adm.safetensors\"", "classifier=model \"\(folder)/resnet.safetensors\""] {
            let outcome = session.applySetting(assignment)
            #expect(outcome.errorText == nil, "--set \(assignment): \(outcome.errorText ?? "")")
        }
        let outcome = session.run(try Self.source("diffpure-imagenet.dpl"))
        let output = printed.lines.joined(separator: "\n")
        #expect(outcome.errorText == nil, "\(outcome.errorText ?? "")\noutput:\n\(output)")
        #expect(output.contains("sampler=guided") && output.contains("size=32"), "\(output)")
        #expect(output.contains("adm.safetensors") && output.contains("resnet.safetensors"), "\(output)")
        #expect(!output.contains("default source"), "\(output)")
    }

    /// The script as `dpl run` reads it: named by its absolute path, so relative paths resolve
    /// against its own folder.
    static func source(_ script: String) throws -> SourceFile {
        let path = (examplesFolder as NSString).appendingPathComponent(script)
        return SourceFile(name: path, text: try String(contentsOfFile: path, encoding: .utf8))
    }

    private final class LineBox { var lines: [String] = [] }
}
