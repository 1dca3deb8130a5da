import Testing
@testable import DPLLanguageServer

@Suite struct TextPositionsTests {
    // "é" is 2 UTF-8 bytes and 1 UTF-16 unit; "🎉" is 4 bytes and 2 units (a surrogate pair).
    static let text = "ab\nxé🎉y z\r\nlast"

    @Test func linesExcludeTheirBreaks() {
        let lines = TextLines(Self.text, encoding: .utf16)
        #expect(lines.lineCount == 3)
        #expect(String(decoding: lines.line(1), as: UTF8.self) == "xé🎉y z")
        #expect(lines.line(5).isEmpty)
    }

    @Test func convertsByteColumnsToUTF16Characters() {
        let lines = TextLines(Self.text, encoding: .utf16)
        // DPL's column of `y` is 1 + 1 + 2 + 4 = 8 (1-based bytes); in UTF-16 it is character 4.
        #expect(lines.position(line: 2, column: 8) == Position(line: 1, character: 4))
        #expect(lines.range(line: 2, column: 8, length: 1) == TextRange(start: Position(line: 1, character: 4), end: Position(line: 1, character: 5)))
        // A span longer than its line stops at the line's end (before `\r\n`).
        #expect(lines.range(line: 2, column: 10, length: 50).end == Position(line: 1, character: 7))
    }

    @Test func convertsByteColumnsToUTF8Characters() {
        let lines = TextLines(Self.text, encoding: .utf8)
        #expect(lines.position(line: 2, column: 8) == Position(line: 1, character: 7))
    }

    @Test func findsOffsetsOfPositionsAndClampsPastTheEnd() {
        let lines = TextLines(Self.text, encoding: .utf16)
        #expect(lines.offset(of: Position(line: 1, character: 4)) == 3 + 7)
        #expect(lines.offset(of: Position(line: 1, character: 99)) == 3 + 10)
        #expect(lines.offset(of: Position(line: 9, character: 0)) == Self.text.utf8.count)
        #expect(lines.prefix(ofLine: 1, upTo: 3) == "xé🎉")
        #expect(lines.end == Position(line: 2, character: 4))
        #expect(TextLines("a\n", encoding: .utf16).end == Position(line: 1, character: 0))
    }

    @Test func readsPositionsOnlyWhenWellFormed() {
        #expect(Position(["line": 1, "character": 2]) == Position(line: 1, character: 2))
        #expect(Position(["line": -1, "character": 2]) == nil)
        #expect(Position(["line": "1", "character": 2]) == nil)
        #expect(Position(nil) == nil)
        #expect(TextRange(["start": ["line": 0, "character": 0]]) == nil)
    }
}
