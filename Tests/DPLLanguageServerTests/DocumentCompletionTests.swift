import DPLLang
import DPLRuntime
import Testing
@testable import DPLLanguageServer

/// Completion offers what the REPL's TAB offers (`CompletionVocabulary`), as edits of the word
/// before the cursor.
@Suite struct DocumentCompletionTests {
    /// The labels offered at the end of the last line of `text`, and the items.
    static func complete(_ text: String, extra: String = "") throws -> (labels: [String], items: [JSON]) {
        let client = try TestClient()
        client.initialize()
        let lines = text.components(separatedBy: "\n")
        _ = client.open("file:///tmp/complete.dpl", text + extra)
        let response = client.request("textDocument/completion", [
            "textDocument": ["uri": "file:///tmp/complete.dpl"],
            "position": TestClient.position(lines.count - 1, lines[lines.count - 1].utf16.count),
        ])
        let items = response["result"]?["items"]?.arrayValue ?? []
        return (items.compactMap { $0["label"]?.stringValue }, items)
    }

    @Test func stageNamesAtTheStartOfAStageWithTheirDocLine() throws {
        let (labels, items) = try Self.complete("load fashion-mnist n=16 | pu")
        #expect(labels == ["purify"])
        let registry = try BuiltinStages.makeRegistry()
        #expect(items.first?["detail"]?.stringValue == registry.signature(named: "purify")?.doc)
        #expect(items.first?["kind"] == 3)
        #expect(TestClient.range(items.first?["textEdit"]?["range"]) == [0, 26, 0, 28])
    }

    @Test func parametersNotYetGiven() throws {
        let (labels, items) = try Self.complete("load fashion-mnist n=16 | purify t=100 s")
        #expect(labels.contains("sampler="))
        #expect(labels.contains("seed="))
        #expect(labels.contains("steps="))
        #expect(!labels.contains("t="))
        #expect(items.first { $0["label"] == "sampler=" }?["kind"] == 5)
        let registry = try BuiltinStages.makeRegistry()
        let samplerDoc = registry.signature(named: "purify")?.parameters.first { $0.name == "sampler" }?.doc
        #expect(items.first { $0["label"] == "sampler=" }?["detail"]?.stringValue == samplerDoc)
    }

    @Test func valuesOfAParameterAndMethodsOfAnAttack() throws {
        let (values, items) = try Self.complete("load fashion-mnist n=16 | purify sampler=d")
        #expect(values == ["sampler=ddim", "sampler=ddpm"])
        // The edit replaces the whole `sampler=d`, so the client filters on what was typed.
        #expect(TestClient.range(items.first?["textEdit"]?["range"]) == [0, 33, 0, 42])
        let (methods, _) = try Self.complete("load fashion-mnist n=16 | attack ")
        let registry = try BuiltinStages.makeRegistry()
        let session = Session(registry: registry)
        #expect(methods == session.completions(before: "load fashion-mnist n=16 | attack ", word: ""))
        #expect(methods.contains("pgd"))
    }

    @Test func namesTheDocumentDeclaresAnywhere() throws {
        let (labels, _) = try Self.complete("data | my", extra: "\nlet data = load fashion-mnist n=4\ndef mydefense(t=10) = purify t=t\n")
        #expect(labels == ["mydefense"])
        let (parameters, _) = try Self.complete("data | mydefense ", extra: "\ndef mydefense(t=10) = purify t=t\n")
        #expect(parameters.contains("t="))
        let (settings, _) = try Self.complete("set ba")
        #expect(settings == ["batch"])
    }

    @Test func nothingInsideStringsOrComments() throws {
        #expect(try Self.complete("load fashion-mnist n=4 | save \"pu").labels.isEmpty)
        #expect(try Self.complete("# pu").labels.isEmpty)
    }

    @Test func positionsCountUTF16AfterNonASCIIText() throws {
        let (labels, items) = try Self.complete("let s = \"🎉\"; load fashion-mnist n=4 | purify sampler=dd")
        #expect(labels == ["sampler=ddim", "sampler=ddpm"])
        // `sampler=dd` starts after 13 + 1 + 33 UTF-16 units (🎉 counts 2).
        let line = "let s = \"🎉\"; load fashion-mnist n=4 | purify sampler=dd"
        #expect(TestClient.range(items.first?["textEdit"]?["range"]) == [0, line.utf16.count - 10, 0, line.utf16.count])
    }
}
