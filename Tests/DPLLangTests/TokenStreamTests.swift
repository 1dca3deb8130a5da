import Testing
@testable import DPLLang

/// The parser's tokens are lexed as it reaches them and dropped behind it, so a long valid
/// script is not held as a whole array of tokens (twice) before parsing starts: that was
/// most of the 2.6 GB `dpl check` took for a 50 MB script of `let` lines (1.3 GB now).
@Suite struct TokenStreamTests {
    private func stream(_ text: String) -> TokenStream {
        TokenStream(file: SourceFile(name: "t.dpl", text: text))
    }

    @Test func commentsAreSetAsideAndInvalidCharactersLeftOut() {
        let tokens = stream("let x = 1 # note\n$ y\n")
        var kinds: [TokenKind] = []
        while tokens.current.kind != .endOfFile {
            kinds.append(tokens.current.kind)
            tokens.advance()
        }
        #expect(kinds == [.kwLet, .identifier, .equals, .number, .newline, .identifier, .newline])
        #expect(tokens.comments.map(\.text) == ["# note"])
        #expect(tokens.lexerDiagnostics.count == 1)
    }

    @Test func peekingPastTheEndGivesTheEndAndAdvancingStaysThere() {
        let tokens = stream("a")
        #expect(tokens.peek(5).kind == .endOfFile)
        tokens.advance()
        tokens.advance()
        tokens.advance()
        #expect(tokens.current.kind == .endOfFile)
        #expect(tokens.peek(1).kind == .endOfFile)
    }

    @Test func tokensBehindTheParserAreDropped() {
        let lines = 20_000
        let text = (0..<lines).map { "let x\($0) = \($0) + 1 # c\n" }.joined()
        let tokens = stream(text)
        var most = 0
        var count = 0
        while tokens.current.kind != .endOfFile {
            _ = tokens.peek(2)
            tokens.advance()
            count += 1
            most = max(most, tokens.heldTokenCount)
        }
        #expect(count == lines * 7)
        #expect(most <= 2 * 4096 + 3, "held \(most) of \(count) tokens at once")
    }

    @Test func aLongScriptParsesToEveryStatement() {
        let text = (0..<5_000).map { "let x\($0) = \($0) * 2\n" }.joined()
        let (program, diagnostics) = Parser.parse(SourceFile(name: "t.dpl", text: text))
        #expect(diagnostics.isEmpty)
        #expect(program.statements.count == 5_000)
    }
}
