// MARK: - Tokens as the parser reaches them

/// The parser's tokens, lexed only as far as the parser has looked and forgotten once it has
/// moved past them, with comments set aside (for the formatter) and invalid characters left
/// out (the lexer reported them).
///
/// The whole token array used to be made up front and then filtered into a second one: for a
/// valid 50 MB script of `let` lines that was two arrays of about 14 million 88-byte tokens,
/// most of `dpl check`'s 2.6 GB. Now the tokens held are those between the current one and
/// the farthest the parser has peeked.
///
/// A class, so the parser's non-mutating token helpers can lex on demand.
final class TokenStream {
    private var lexer: Lexer
    /// Tokens lexed and not yet left behind; `buffer[head]` is the current token.
    private var buffer: [Token] = []
    private var head = 0
    /// Whether the lexer has produced `.endOfFile`, always the last token of `buffer` then.
    private var finished = false
    /// The comments lexed so far, in source order.
    private(set) var comments: [Token] = []
    /// Left-behind tokens are dropped once this many have piled up (and at least half the buffer).
    private static let compactionThreshold = 4096

    init(file: SourceFile) {
        lexer = Lexer(file: file)
        lexUntil(count: 1)
    }

    /// What the lexer has reported so far; everything once the stream has reached the end.
    var lexerDiagnostics: [Diagnostic] { lexer.diagnostics }

    /// How many tokens are held now; tests check it stays small however long the script is.
    var heldTokenCount: Int { buffer.count }

    /// The current token.
    var current: Token { buffer[head] }

    /// The token `ahead` places after the current one; the end-of-file token beyond the end.
    func peek(_ ahead: Int) -> Token {
        lexUntil(count: head + ahead + 1)
        return buffer[min(head + ahead, buffer.count - 1)]
    }

    /// Moves to the next token; stays on `.endOfFile`.
    func advance() {
        lexUntil(count: head + 2)
        guard head < buffer.count - 1 else { return }
        head += 1
        if head >= Self.compactionThreshold, head * 2 >= buffer.count {
            buffer.removeFirst(head)
            head = 0
        }
    }

    /// Lexes until `buffer` holds `count` tokens or the text ends.
    private func lexUntil(count: Int) {
        while buffer.count < count, !finished {
            let token = lexer.nextToken()
            switch token.kind {
            case .comment: comments.append(token)
            case .invalid: continue
            case .endOfFile:
                finished = true
                buffer.append(token)
            default: buffer.append(token)
            }
        }
    }
}
