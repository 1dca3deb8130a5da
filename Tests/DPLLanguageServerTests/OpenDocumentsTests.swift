import Testing
@testable import DPLLanguageServer

@Suite struct OpenDocumentsTests {
    @Test func namesFileDocumentsByTheirPath() {
        #expect(OpenDocument(uri: "file:///tmp/a%20b/run.dpl", version: 1, text: "").sourceName == "/tmp/a b/run.dpl")
        #expect(OpenDocument(uri: "untitled:Untitled-1", version: 1, text: "").sourceName == "<untitled:Untitled-1>")
        #expect(OpenDocument.uri(ofPath: "/tmp/a b/lib.dpl") == "file:///tmp/a%20b/lib.dpl")
    }

    @Test func appliesIncrementalChangesAtUTF16Positions() throws {
        var document = OpenDocument(uri: "file:///t.dpl", version: 1, text: "let s = \"🎉\"; purfy t=1\nclassify\n")
        // Replace `purfy` (UTF-16 characters 14..<19 of line 0) with `purify`.
        try document.apply(change: ["range": ["start": ["line": 0, "character": 14], "end": ["line": 0, "character": 19]], "text": "purify"],
                           encoding: .utf16)
        #expect(document.text == "let s = \"🎉\"; purify t=1\nclassify\n")
        // Insert a line at the end, then replace everything.
        try document.apply(change: ["range": ["start": ["line": 2, "character": 0], "end": ["line": 2, "character": 0]], "text": "report\n"],
                           encoding: .utf16)
        #expect(document.text.hasSuffix("classify\nreport\n"))
        try document.apply(change: ["text": "results\n"], encoding: .utf16)
        #expect(document.text == "results\n")
    }

    @Test func refusesMalformedChanges() {
        var document = OpenDocument(uri: "file:///t.dpl", version: 1, text: "abc")
        #expect(throws: ResponseError.self) { try document.apply(change: ["range": ["start": ["line": 0, "character": 0]]], encoding: .utf16) }
        #expect(throws: ResponseError.self) { try document.apply(change: ["range": ["start": ["line": 0, "character": 2], "end": ["line": 0, "character": 1]], "text": "x"], encoding: .utf16) }
        #expect(throws: ResponseError.self) { try document.apply(change: [:], encoding: .utf16) }
        #expect(document.text == "abc")
    }
}
