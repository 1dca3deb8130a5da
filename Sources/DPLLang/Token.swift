// MARK: - Tokens

/// The kinds of token the lexer produces.
public enum TokenKind: Sendable, Equatable {
    /// A name: letters, digits and `_`, not starting with a digit.
    case identifier
    /// A number literal: `64`, `0.5`, `1e-3`.
    case number
    /// A string literal; the token's text is the raw source including quotes.
    case string
    // Keywords.
    case kwLet, kwSet, kwDef, kwFor, kwIn, kwImport, kwRequire, kwAs, kwTrue, kwFalse, kwNone
    // Punctuation and operators.
    case pipe, equals, comma, leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
    case plus, minus, star, slash, semicolon
    /// A `#` comment running to the end of the line; kept so the formatter can reprint it.
    case comment
    /// The end of a line outside brackets and parentheses; statements end here.
    case newline
    /// A character that starts no token; the lexer reports it and keeps going.
    case invalid
    /// The end of the input.
    case endOfFile

    /// The words the lexer turns into keyword tokens instead of identifiers.
    static let keywords: [String: TokenKind] = [
        "let": .kwLet, "set": .kwSet, "def": .kwDef, "for": .kwFor, "in": .kwIn,
        "import": .kwImport, "require": .kwRequire, "as": .kwAs, "true": .kwTrue, "false": .kwFalse, "none": .kwNone,
    ]

    /// How the kind is named in "expected …" messages.
    var displayName: String {
        switch self {
        case .identifier: return "a name"
        case .number: return "a number"
        case .string: return "a string"
        case .kwLet: return "`let`"
        case .kwSet: return "`set`"
        case .kwDef: return "`def`"
        case .kwFor: return "`for`"
        case .kwIn: return "`in`"
        case .kwImport: return "`import`"
        case .kwRequire: return "`require`"
        case .kwAs: return "`as`"
        case .kwTrue: return "`true`"
        case .kwFalse: return "`false`"
        case .kwNone: return "`none`"
        case .pipe: return "`|`"
        case .equals: return "`=`"
        case .comma: return "`,`"
        case .leftParen: return "`(`"
        case .rightParen: return "`)`"
        case .leftBracket: return "`[`"
        case .rightBracket: return "`]`"
        case .leftBrace: return "`{`"
        case .rightBrace: return "`}`"
        case .plus: return "`+`"
        case .minus: return "`-`"
        case .star: return "`*`"
        case .slash: return "`/`"
        case .semicolon: return "`;`"
        case .comment: return "a comment"
        case .newline: return "the end of the line"
        case .invalid: return "an invalid character"
        case .endOfFile: return "the end of the file"
        }
    }
}

/// One token: its kind, its exact source text and where it is.
public struct Token: Sendable, Equatable {
    /// What kind of token this is.
    public var kind: TokenKind
    /// The exact source text (for strings, including the quotes).
    public var text: String
    /// Where the token is in its file.
    public var span: SourceSpan
    /// Whether whitespace or a line break separates this token from the previous one.
    /// The parser joins `fashion-mnist` into one name only when no space separates the parts.
    public var precededBySpace: Bool

    /// Creates a token.
    public init(kind: TokenKind, text: String, span: SourceSpan, precededBySpace: Bool) {
        self.kind = kind
        self.text = text
        self.span = span
        self.precededBySpace = precededBySpace
    }
}
