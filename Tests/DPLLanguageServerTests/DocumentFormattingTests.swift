import DPLLang
import Testing
@testable import DPLLanguageServer

/// Formatting is `dpl fmt`'s output as one edit.
@Suite struct DocumentFormattingTests {
    static func format(_ text: String) throws -> JSON {
        let client = try TestClient()
        client.initialize()
        _ = client.open("file:///tmp/fmt.dpl", text)
        return client.request("textDocument/formatting", ["textDocument": ["uri": "file:///tmp/fmt.dpl"],
                                                          "options": ["tabSize": 2, "insertSpaces": true]])
    }

    @Test func replacesTheDocumentWithWhatDplFmtWrites() throws {
        let text = "let  s=\"é🎉\"\nload fashion-mnist n = 16|purify t=100   # keep\n\n\n\nresults"
        let response = try Self.format(text)
        let edits = try #require(response["result"]?.arrayValue)
        try #require(edits.count == 1)
        let (program, _) = Parser.parse(SourceFile(name: "/tmp/fmt.dpl", text: text))
        #expect(edits[0]["newText"]?.stringValue == Formatter.format(program))
        // The edit covers the whole text: 6 lines, the last `results` 7 characters long.
        #expect(TestClient.range(edits[0]["range"]) == [0, 0, 5, 7])
    }

    @Test func aFormattedDocumentNeedsNoEdit() throws {
        #expect(try Self.format("load fashion-mnist n=16 | purify t=100\n")["result"] == [])
    }

    @Test func aScriptWithSyntaxErrorsIsNotFormattedAndTheClientIsToldWhy() throws {
        let response = try Self.format("load fashion-mnist n=16 |\nlet = 3\n")
        #expect(response["error"]?["code"]?.integerValue == ResponseError.requestFailedCode)
        #expect(response["error"]?["message"]?.stringValue?.contains("syntax errors") == true)
    }
}
