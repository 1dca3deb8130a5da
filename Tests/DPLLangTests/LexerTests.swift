import Testing
@testable import DPLLang

@Suite struct LexerTests {
    private func kinds(_ text: String) -> [TokenKind] {
        var lexer = Lexer(file: SourceFile(name: "t.dpl", text: text))
        return lexer.tokenize().map(\.kind)
    }

    private func lex(_ text: String) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(file: SourceFile(name: "t.dpl", text: text))
        let tokens = lexer.tokenize()
        return (tokens, lexer.diagnostics)
    }

    @Test func pipelineTokens() {
        #expect(kinds("attack pgd eps=8/255 | purify") == [
            .identifier, .identifier, .identifier, .equals, .number, .slash, .number, .pipe, .identifier, .endOfFile,
        ])
    }

    @Test func keywordsAndPunctuation() {
        #expect(kinds("let set def for in import require as true false none ( ) [ ] { } , ; + - *") == [
            .kwLet, .kwSet, .kwDef, .kwFor, .kwIn, .kwImport, .kwRequire, .kwAs, .kwTrue, .kwFalse, .kwNone,
            .leftParen, .rightParen, .leftBracket, .rightBracket, .leftBrace, .rightBrace,
            .comma, .semicolon, .plus, .minus, .star, .endOfFile,
        ])
    }

    @Test func numbersWithFractionsAndExponents() {
        let (tokens, diagnostics) = lex("64 0.5 .25 1e-3 2E+4 7e")
        #expect(diagnostics.isEmpty)
        #expect(tokens.map(\.text) == ["64", "0.5", ".25", "1e-3", "2E+4", "7", "e", ""])
    }

    @Test func newlinesInsideBracketsAreNotTokens() {
        #expect(kinds("[1,\n2]\n") == [.leftBracket, .number, .comma, .number, .rightBracket, .newline, .endOfFile])
        #expect(kinds("{\n}") == [.leftBrace, .newline, .rightBrace, .endOfFile])
    }

    @Test func commentsAreKept() {
        let (tokens, _) = lex("load x # the data\n")
        #expect(tokens.map(\.kind) == [.identifier, .identifier, .comment, .newline, .endOfFile])
        #expect(tokens[2].text == "# the data")
    }

    @Test func spansCountLinesAndColumns() {
        let (tokens, _) = lex("a\n  bb")
        #expect(tokens[2].span == SourceSpan(file: "t.dpl", line: 2, column: 3, length: 2))
        #expect(tokens[2].precededBySpace)
    }

    @Test func stringWithEscapesIsOneToken() {
        let (tokens, diagnostics) = lex(#""a \"b\" {t}""#)
        #expect(diagnostics.isEmpty)
        #expect(tokens.map(\.kind) == [.string, .endOfFile])
    }

    @Test func unterminatedStringIsReported() {
        let (tokens, diagnostics) = lex("report as \"oops\nnext")
        #expect(diagnostics.map(\.description) == ["t.dpl:1:11 unterminated string; add a closing `\"` before the end of the line"])
        #expect(tokens.map(\.kind).contains(.newline))
    }

    @Test func strayCharactersAreReportedAndSkipped() {
        let (tokens, diagnostics) = lex("load @ x é")
        #expect(diagnostics.map(\.description) == [
            "t.dpl:1:6 unexpected character `@`; remove it or put it inside a string",
            "t.dpl:1:10 unexpected character `é`; remove it or put it inside a string",
        ])
        #expect(tokens.filter { $0.kind == .identifier }.map(\.text) == ["load", "x"])
    }

    @Test func emptyInput() {
        #expect(kinds("") == [.endOfFile])
    }
}
