import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

@Suite("built-in stages")
struct BuiltinStagesTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// docs/builtins.md is generated from the one registry (`dpl help --markdown`).
    @Test func builtinsDocumentIsCurrent() throws {
        let committed = try String(contentsOf: Self.packageRoot.appendingPathComponent("docs/builtins.md"), encoding: .utf8)
        #expect(committed == Help.markdown(registry: try BuiltinStages.makeRegistry()),
                "docs/builtins.md is stale; regenerate it with `swift run dpl help --markdown > docs/builtins.md`")
    }

    @Test func everyStageHasDocumentedParameters() throws {
        let registry = try BuiltinStages.makeRegistry()
        #expect(Set(registry.stageNames).isSuperset(of: ["load", "model", "classify", "purify", "attack", "report", "results", "save", "train"]))
        for signature in registry.signatures {
            #expect(!signature.doc.isEmpty, "stage \(signature.name) has no doc line")
            for parameter in signature.parameters { #expect(!parameter.doc.isEmpty, "\(signature.name).\(parameter.name) has no doc line") }
        }
    }

    @Test func checkerCatchesAReportBeforeClassifyAndAMisspelledStage() throws {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        let misplaced = session.check(SourceFile(name: "x.dpl", text: "load fashion-mnist n=4 | report\n"))
        #expect(misplaced.errorText?.contains("report") == true)
        let typo = session.check(SourceFile(name: "x.dpl", text: "load fashion-mnist n=4 | purfy | classify\n"))
        #expect(typo.errorText?.contains("did you mean `purify`?") == true)
        let badEps = session.check(SourceFile(name: "x.dpl", text: "load fashion-mnist | attack pgd eps=-1 | classify\n"))
        #expect(badEps.errorText?.contains("eps") == true)
    }
}

@Suite("examples")
struct ExampleScriptTests {
    /// Every script under examples/ parses and checks against the product registry, so a
    /// renamed stage or parameter cannot silently break a shipped example.
    @Test func everyExampleChecks() throws {
        let root = BuiltinStagesTests.packageRoot.appendingPathComponent("examples")
        let files = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".dpl") }.sorted()
        #expect(files.count >= 3)
        for file in files {
            let path = root.appendingPathComponent(file).path
            // The training scripts write the shipped weights, so they are run with
            // `--allow-write models` (their header says so).
            let models = BuiltinStagesTests.packageRoot.appendingPathComponent("models").path
            let policy = WritePolicy(allowedFolders: file.hasPrefix("train/") ? [models] : [])
            let session = Session(registry: try BuiltinStages.makeRegistry(writePolicy: policy)) { _ in }
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let outcome = session.check(SourceFile(name: path, text: text))
            #expect(outcome.errorText == nil, "\(file): \(outcome.errorText ?? "")")
        }
    }
}
