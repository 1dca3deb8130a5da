// MARK: - Cursor

/// A position in a script's UTF-8 bytes that tracks line and column as it moves.
struct Cursor {
    let bytes: [UInt8]
    private(set) var offset = 0
    private(set) var line = 1
    private(set) var column = 1

    init(bytes: [UInt8], firstLine: Int = 1) {
        self.bytes = bytes
        self.line = firstLine
    }

    var isAtEnd: Bool { offset >= bytes.count }

    /// The byte `ahead` positions past the current one, or nil past the end.
    func peek(_ ahead: Int = 0) -> UInt8? {
        let index = offset + ahead
        return index < bytes.count ? bytes[index] : nil
    }

    /// Moves past one byte, stepping to the next line after a line feed.
    @discardableResult
    mutating func advance() -> UInt8? {
        guard let byte = peek() else { return nil }
        offset += 1
        if byte == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else {
            column += 1
        }
        return byte
    }

    /// Advances while `predicate` holds for the current byte.
    mutating func advance(while predicate: (UInt8) -> Bool) {
        while let byte = peek(), predicate(byte) { advance() }
    }
}

// MARK: - Lexer

/// Turns a script into tokens, reporting malformed input as diagnostics and continuing.
///
/// Line breaks are tokens because they end statements, except inside `(…)` and `[…]`
/// where lists and parameter lists may span lines. Comments are tokens so the formatter
/// can keep them; the parser sets them aside.
public struct Lexer {
    private let file: SourceFile
    private var cursor: Cursor
    private var openers: [TokenKind] = []
    private var sawSpace = true
    /// Problems found while lexing, in source order.
    public private(set) var diagnostics: [Diagnostic] = []

    /// Creates a lexer over `file`.
    public init(file: SourceFile) {
        self.file = file
        self.cursor = Cursor(bytes: file.bytes, firstLine: file.firstLine)
    }

    /// Lexes the whole file; the last token is always `.endOfFile`.
    public mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        while true {
            let token = nextToken()
            tokens.append(token)
            if token.kind == .endOfFile { return tokens }
        }
    }

    // MARK: Scanning

    private var newlinesAreSignificant: Bool {
        guard let innermost = openers.last else { return true }
        return innermost == .leftBrace
    }

    /// The next token; `.endOfFile` once the text is used up (and on every call after).
    mutating func nextToken() -> Token {
        skipSpace()
        let startOffset = cursor.offset
        let line = cursor.line
        let column = cursor.column
        let spaced = sawSpace
        sawSpace = false

        func make(_ kind: TokenKind) -> Token {
            let text = String(decoding: file.bytes[startOffset..<cursor.offset], as: UTF8.self)
            let span = SourceSpan(file: file.name, line: line, column: column,
                                  length: max(1, cursor.offset - startOffset))
            return Token(kind: kind, text: text, span: span, precededBySpace: spaced)
        }

        guard let byte = cursor.advance() else { return make(.endOfFile) }
        switch byte {
        case UInt8(ascii: "\n"):
            sawSpace = true
            return make(.newline)
        case UInt8(ascii: "#"):
            cursor.advance(while: { $0 != UInt8(ascii: "\n") })
            return make(.comment)
        case UInt8(ascii: "\""):
            scanString(line: line, column: column)
            return make(.string)
        case UInt8(ascii: "|"): return make(.pipe)
        case UInt8(ascii: "="): return make(.equals)
        case UInt8(ascii: ","): return make(.comma)
        case UInt8(ascii: "+"): return make(.plus)
        case UInt8(ascii: "-"): return make(.minus)
        case UInt8(ascii: "*"): return make(.star)
        case UInt8(ascii: "/"): return make(.slash)
        case UInt8(ascii: ";"): return make(.semicolon)
        case UInt8(ascii: "("): return open(.leftParen, make(.leftParen))
        case UInt8(ascii: "["): return open(.leftBracket, make(.leftBracket))
        case UInt8(ascii: "{"): return open(.leftBrace, make(.leftBrace))
        case UInt8(ascii: ")"): return close(.leftParen, make(.rightParen))
        case UInt8(ascii: "]"): return close(.leftBracket, make(.rightBracket))
        case UInt8(ascii: "}"): return close(.leftBrace, make(.rightBrace))
        default:
            if Self.isDigit(byte) || (byte == UInt8(ascii: ".") && cursor.peek().map(Self.isDigit) == true) {
                scanNumber(line: line, column: column)
                return make(.number)
            }
            if Self.isIdentifierStart(byte) {
                cursor.advance(while: Self.isIdentifierPart)
                let token = make(.identifier)
                if let keyword = TokenKind.keywords[token.text] {
                    return Token(kind: keyword, text: token.text, span: token.span, precededBySpace: spaced)
                }
                return token
            }
            // Swallow the continuation bytes so a multi-byte character is reported once, whole.
            if byte >= 0x80 { cursor.advance(while: { $0 & 0xC0 == 0x80 }) }
            let token = make(.invalid)
            report("unexpected character `\(token.text)`; remove it or put it inside a string",
                   at: token.span)
            return token
        }
    }

    private mutating func open(_ kind: TokenKind, _ token: Token) -> Token {
        openers.append(kind)
        return token
    }

    private mutating func close(_ opener: TokenKind, _ token: Token) -> Token {
        // A stray closer is left for the parser to report; it knows what it expected.
        if let index = openers.lastIndex(of: opener) { openers.removeSubrange(index...) }
        return token
    }

    /// Skips blanks, and line breaks where they do not end statements.
    private mutating func skipSpace() {
        while let byte = cursor.peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                cursor.advance()
                sawSpace = true
            } else if byte == UInt8(ascii: "\n") && !newlinesAreSignificant {
                cursor.advance()
                sawSpace = true
            } else {
                return
            }
        }
    }

    private mutating func scanNumber(line: Int, column: Int) {
        cursor.advance(while: Self.isDigit)
        if cursor.peek() == UInt8(ascii: "."), cursor.peek(1).map(Self.isDigit) == true {
            cursor.advance()
            cursor.advance(while: Self.isDigit)
        }
        if cursor.peek() == UInt8(ascii: "e") || cursor.peek() == UInt8(ascii: "E") {
            let sign = cursor.peek(1) == UInt8(ascii: "+") || cursor.peek(1) == UInt8(ascii: "-") ? 1 : 0
            if cursor.peek(1 + sign).map(Self.isDigit) == true {
                cursor.advance()
                if sign == 1 { cursor.advance() }
                cursor.advance(while: Self.isDigit)
            }
        }
    }

    /// Scans to the closing quote; escapes and `{name}` are decoded later by `StringLiteral`.
    private mutating func scanString(line: Int, column: Int) {
        while let byte = cursor.peek() {
            if byte == UInt8(ascii: "\n") { break }
            cursor.advance()
            if byte == UInt8(ascii: "\"") { return }
            if byte == UInt8(ascii: "\\"), let next = cursor.peek(), next != UInt8(ascii: "\n") { cursor.advance() }
        }
        report("unterminated string; add a closing `\"` before the end of the line",
               at: SourceSpan(file: file.name, line: line, column: column, length: 1))
    }

    private mutating func report(_ message: String, at span: SourceSpan) {
        diagnostics.append(Diagnostic(message, at: span))
    }

    // MARK: Character classes

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) ||
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
    }

    static func isIdentifierPart(_ byte: UInt8) -> Bool { isIdentifierStart(byte) || isDigit(byte) }
}
