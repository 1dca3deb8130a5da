import DPLCommandLine
import DPLLang
import DPLRuntime
import Foundation
import Testing
@testable import DPLLanguageServer

/// Diagnostics are `dpl check`'s: the same sentences at the same places, in the client's units.
@Suite struct DocumentDiagnosticsTests {
    /// Line 2 has non-ASCII text before its error: `ü` (2 bytes, 1 UTF-16 unit) and `🎉`
    /// (4 bytes, 2 units), so `purfy` is at byte column 48 (1-based) and UTF-16 character 44.
    static let script = """
    # ü and 🎉 in a comment change nothing below
    let note = "ü🎉"; load fashion-mnist n=16 | purfy t=100 | classify

    """

    /// What `dpl check FILE` prints for `path`, through the command line's own driver.
    static func dplCheck(_ path: String) throws -> String {
        var errors: [String] = []
        let driver = Driver(registry: try BuiltinStages.makeRegistry(), output: { _ in }, errors: { errors.append($0) })
        _ = driver.check(paths: [path])
        return errors.joined(separator: "\n")
    }

    @Test(arguments: [(PositionEncoding.utf16, 44), (.utf8, 47)])
    func matchDplCheckAtTheClientsPositions(encoding: PositionEncoding, character: Int) throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("run.dpl")
        try Self.script.write(to: file, atomically: true, encoding: .utf8)
        let client = try TestClient()
        client.initialize(capabilities: encoding == .utf8 ? ["general": ["positionEncodings": ["utf-8"]]] : [:])
        let diagnostics = client.open(file.absoluteString, Self.script)
        try #require(diagnostics.count == 1, "\(diagnostics)")
        let diagnostic = diagnostics[0]
        #expect(TestClient.range(diagnostic["range"]) == [1, character, 1, character + 5])
        #expect(diagnostic["severity"] == 1)
        #expect(diagnostic["source"] == "dpl")
        let message = try #require(diagnostic["message"]?.stringValue)
        #expect(message.contains("did you mean `purify`?"), "\(message)")
        #expect(try Self.dplCheck(file.path).contains("\(file.path):2:48: error: \(message)"))
    }

    @Test func reportEveryProblemAndNothingForACleanScript() throws {
        let client = try TestClient()
        client.initialize()
        let diagnostics = client.open("file:///tmp/two.dpl", "load fashion-mnist n=16 | purify t=100 samplr=ddim | classify\nset bach = 4\n")
        #expect(diagnostics.count == 2)
        #expect(diagnostics.map { TestClient.range($0["range"])[0] } == [0, 1])
        #expect(diagnostics.contains { $0["message"]?.stringValue?.contains("did you mean `sampler`?") == true })
        #expect(diagnostics.contains { $0["message"]?.stringValue?.contains("did you mean `batch`?") == true })
        #expect(client.open("file:///tmp/clean.dpl", "load fashion-mnist n=16 | purify t=100 | classify\n").isEmpty)
    }

    @Test func changesRepublishWithTheNewVersion() throws {
        let client = try TestClient()
        client.initialize()
        #expect(client.open("file:///tmp/e.dpl", "purfy\n").count == 1)
        let published = client.notify("textDocument/didChange", [
            "textDocument": ["uri": "file:///tmp/e.dpl", "version": 2],
            "contentChanges": [["range": ["start": ["line": 0, "character": 3], "end": ["line": 0, "character": 3]], "text": "i"]],
        ])
        let message = try #require(published.first)
        #expect(message["params"]?["version"] == 2)
        #expect(message["params"]?["diagnostics"] == [])
    }

    @Test func importsResolveAgainstTheDocumentsFolderAndSeeUnsavedEdits() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("lib"), withIntermediateDirectories: true)
        let library = folder.appendingPathComponent("lib/defs.dpl")
        try "def clean = purify t=10\n\ndef broken = purfy t=10\n".write(to: library, atomically: true, encoding: .utf8)
        let main = folder.appendingPathComponent("main.dpl")
        let text = "import \"lib/defs.dpl\"\nload fashion-mnist n=16 | clean | classify\n"
        let client = try TestClient()
        client.initialize()
        // Run from another folder: imports follow the document, not the current directory.
        let diagnostics = client.open(main.absoluteString, text)
        try #require(diagnostics.count == 1, "\(diagnostics)")
        // The import's path with its quotes.
        #expect(TestClient.range(diagnostics[0]["range"]) == [0, 7, 0, 21])
        #expect(diagnostics[0]["message"]?.stringValue?.hasPrefix("in `defs.dpl` line 3: unknown stage `purfy`") == true)
        let related = diagnostics[0]["relatedInformation"]?.arrayValue?.first?["location"]
        #expect(related?["uri"]?.stringValue == OpenDocument.uri(ofPath: library.resolvingSymlinksInPath().path))
        #expect(TestClient.range(related?["range"]) == [2, 13, 2, 18])
        // Opening the library with the typo fixed (unsaved) clears the importer's error.
        let published = client.notify("textDocument/didOpen", ["textDocument": [
            "uri": .string(library.absoluteString), "version": 1, "text": "def clean = purify t=10\n\ndef broken = purify t=10\n"]])
        #expect(TestClient.diagnostics(in: published, for: main.absoluteString).isEmpty)
        #expect(published.contains { $0["params"]?["uri"]?.stringValue == main.absoluteString })
        // A missing import is reported on the import, as `dpl check` does.
        let missing = client.open(folder.appendingPathComponent("other.dpl").absoluteString, "import \"nowhere.dpl\"\n")
        #expect(missing.first?["message"]?.stringValue?.hasPrefix("cannot read `nowhere.dpl`") == true)
    }

    @Test func nothingIsWrittenOrRun() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let client = try TestClient()
        client.initialize()
        let script = "load fashion-mnist n=4 | classify | save \"out.json\"\nresults | save \"table.csv\"\n"
        _ = client.open(folder.appendingPathComponent("w.dpl").absoluteString, script)
        _ = client.request("textDocument/formatting", ["textDocument": ["uri": .string(folder.appendingPathComponent("w.dpl").absoluteString)], "options": [:]])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
