import Foundation
import Testing
import DPLLang
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
        #expect(printed.lines.first?.hasPrefix("smoke run: sizes reduced") == true,
                "a smoke run must say so first; it printed:\n\(output)")
        // Nothing was written next to the script: every file went under the temporary out folder.
        let written = output.split(separator: "\n").filter { $0.hasPrefix("saved ") }
        for line in written {
            #expect(line.hasPrefix("saved \(out)/smoke/"), "\(script) wrote outside <out>/smoke: \(line)")
        }
        // Seconds on an idle machine; the bound only catches a stage that ignores smoke mode.
        #expect(seconds < 300, "\(script) took \(Int(seconds)) s in smoke mode; a stage is not shrinking its work")
    }

    /// The script as `dpl run` reads it: named by its absolute path, so relative paths resolve
    /// against its own folder.
    static func source(_ script: String) throws -> SourceFile {
        let path = (examplesFolder as NSString).appendingPathComponent(script)
        return SourceFile(name: path, text: try String(contentsOfFile: path, encoding: .utf8))
    }

    private final class LineBox { var lines: [String] = [] }
}
