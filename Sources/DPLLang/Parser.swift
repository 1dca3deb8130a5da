// MARK: - Parser

/// A recursive-descent parser from tokens to a `Program`.
///
/// Each parse function carries its grammar rule (the same rule as in grammar/dpl.ebnf).
/// After an error the parser skips to the end of the statement and continues, so one pass
/// reports every error in a file.
public struct Parser {
    /// Deeper nesting than this is reported instead of risking the stack.
    public static let maximumNesting = 200

    private let file: SourceFile
    /// The tokens, lexed as the parser reaches them (see `TokenStream` for why).
    private let tokens: TokenStream
    private var nesting = 0
    private var blockDepth = 0
    /// Whether a statement other than `require` has started, after which `require` is misplaced.
    private var sawNonRequireStatement = false
    /// Lexer and parser errors: the lexer's (of the text lexed so far: all of it once
    /// `parseProgram` returns), then the parser's.
    public var diagnostics: [Diagnostic] { tokens.lexerDiagnostics + parserDiagnostics }
    private var parserDiagnostics: [Diagnostic] = []
    /// The places of `diagnostics`, for reporting each place once.
    private var reportedPlaces: Set<Place> = []

    /// Lexes `file` and prepares to parse it.
    public init(file: SourceFile) {
        self.file = file
        self.tokens = TokenStream(file: file)
    }

    /// Parses `file`, returning the program and every diagnostic found.
    public static func parse(_ file: SourceFile) -> (program: Program, diagnostics: [Diagnostic]) {
        var parser = Parser(file: file)
        let program = parser.parseProgram()
        return (program, parser.diagnostics.sorted { ($0.span.line, $0.span.column) < ($1.span.line, $1.span.column) })
    }

    /// The error the parser throws to unwind to the statement it can resume after.
    private struct Unwind: Error {}

    // MARK: Statements

    /// program = { separator } { statement { separator } } EOF
    public mutating func parseProgram() -> Program {
        let statements = parseStatements(until: .endOfFile)
        return Program(source: file, statements: statements, comments: tokens.comments)
    }

    /// Statements up to (not including) `terminator`, recovering after each error.
    private mutating func parseStatements(until terminator: TokenKind) -> [Statement] {
        var statements: [Statement] = []
        while true {
            skipSeparators()
            if check(terminator) || check(.endOfFile) { return statements }
            if check(.rightBrace) {
                report("unexpected `}` with no `{` to close", at: current.span)
                advance()
                continue
            }
            let savedNesting = nesting
            do {
                statements.append(try parseStatement())
                if !check(.newline), !check(.semicolon), !check(terminator), !check(.endOfFile) {
                    report("unexpected \(describe(current)) after the end of the statement; put each statement on its own line",
                           at: current.span)
                    throw Unwind()
                }
            } catch {
                nesting = savedNesting
                synchronize()
            }
        }
    }

    /// statement = letStmt | setStmt | defStmt | forStmt | importStmt | requireStmt | pipeline
    private mutating func parseStatement() throws -> Statement {
        if current.kind == .kwRequire { return .require(try parseRequire()) }
        sawNonRequireStatement = true
        switch current.kind {
        case .kwLet: return .letBinding(try parseLet())
        case .kwSet: return .setting(try parseSet())
        case .kwDef: return .definition(try parseDef())
        case .kwFor: return .loop(try parseFor())
        case .kwImport: return .importFile(try parseImport())
        default:
            if check(.identifier), peek(1).kind == .equals {
                report("`=` outside a stage argument; write `let \(current.text) = …` to bind a name",
                       at: peek(1).span)
                throw Unwind()
            }
            return .pipeline(try parsePipeline())
        }
    }

    /// letStmt = "let" IDENT "=" pipeline
    private mutating func parseLet() throws -> LetStatement {
        let start = advance()
        let name = try expect(.identifier, "a name after `let`")
        try expect(.equals, "`=` after `let \(name.text)`")
        let value = try parsePipeline()
        return LetStatement(name: name.text, nameSpan: name.span, value: value, span: start.span.through(value.span))
    }

    /// setStmt = "set" IDENT "=" pipeline
    private mutating func parseSet() throws -> SetStatement {
        let start = advance()
        let key = try expect(.identifier, "a setting name after `set`")
        try expect(.equals, "`=` after `set \(key.text)`")
        let value = try parsePipeline()
        return SetStatement(key: key.text, keySpan: key.span, value: value, span: start.span.through(value.span))
    }

    /// defStmt = "def" IDENT "(" [ param { "," param } [ "," ] ] ")" "=" pipeline
    /// param   = IDENT [ "=" expression ]
    private mutating func parseDef() throws -> DefStatement {
        let start = advance()
        let name = try expect(.identifier, "a stage name after `def`")
        var parameters: [DefParameter] = []
        if match(.leftParen) {
            while !check(.rightParen) {
                let parameter = try expect(.identifier, "a parameter name")
                var defaultValue: Expression?
                if match(.equals) { defaultValue = try parseExpression() }
                if parameters.contains(where: { $0.name == parameter.text }) {
                    report("parameter `\(parameter.text)` is declared twice", at: parameter.span)
                }
                parameters.append(DefParameter(name: parameter.text, defaultValue: defaultValue,
                                               span: defaultValue.map { parameter.span.through($0.span) } ?? parameter.span))
                if !match(.comma) { break }
            }
            try expect(.rightParen, "`)` to close the parameters of `\(name.text)`")
        }
        try expect(.equals, "`=` before the body of `def \(name.text)`")
        let body = try parsePipeline()
        return DefStatement(name: name.text, nameSpan: name.span, parameters: parameters, body: body,
                            span: start.span.through(body.span))
    }

    /// forStmt = "for" IDENT "in" expression "{" { statement } "}"
    private mutating func parseFor() throws -> ForStatement {
        let start = advance()
        let variable = try expect(.identifier, "a loop variable after `for`")
        try expect(.kwIn, "`in` after `for \(variable.text)`")
        let sequence = try parseExpression()
        if check(.comma) {
            // `for t in 25, 50 {`: the values were meant as a list.
            report("the values of a `for` loop are one list; write them in brackets: `for \(variable.text) in [25, 50, 100] { … }`",
                   at: sequence.span.through(current.span))
            throw Unwind()
        }
        try expect(.leftBrace, "`{` to open the body of the loop")
        try enterNesting(at: start.span)
        blockDepth += 1
        let body = parseStatements(until: .rightBrace)
        blockDepth -= 1
        nesting -= 1
        let close = try expect(.rightBrace, "`}` to close the loop that starts at line \(start.span.line)")
        return ForStatement(variable: variable.text, variableSpan: variable.span, sequence: sequence,
                            body: body, span: start.span.through(close.span))
    }

    /// importStmt = "import" STRING
    private mutating func parseImport() throws -> ImportStatement {
        let start = advance()
        let pathToken = try expect(.string, "a quoted file name after `import`")
        let literal = decodeString(pathToken)
        guard let path = literal.plainText else {
            report("an import path cannot interpolate variables; write the file name literally", at: pathToken.span)
            throw Unwind()
        }
        return ImportStatement(path: path, literal: pathToken.text, pathSpan: pathToken.span,
                               span: start.span.through(pathToken.span))
    }

    /// requireStmt = "require" "dpl" STRING
    ///
    /// The string is parsed here, so a malformed requirement is a syntax error naming the accepted forms.
    private mutating func parseRequire() throws -> RequireStatement {
        let start = advance()
        if blockDepth > 0 {
            report("`require` cannot be inside a block; put it at the top of the file, before every other statement",
                   at: start.span)
        } else if sawNonRequireStatement {
            report("`require` must come before every other statement; move it to the top of the file", at: start.span)
        }
        let subject = try expect(.identifier, "`dpl` after `require`")
        guard subject.text == "dpl" else {
            report("only `dpl` can be required, not `\(subject.text)`; write `require dpl \">= \(DPLVersion.current)\"`",
                   at: subject.span)
            throw Unwind()
        }
        let literalToken = try expect(.string, "a quoted version requirement after `require dpl`, such as \">= 0.3\"")
        guard let text = decodeString(literalToken).plainText else {
            report("a version requirement cannot interpolate variables; write it literally, such as \">= 0.3\"",
                   at: literalToken.span)
            throw Unwind()
        }
        do {
            let requirement = try VersionRequirement(parsing: text)
            return RequireStatement(requirement: requirement, requirementSpan: literalToken.span,
                                    span: start.span.through(literalToken.span))
        } catch {
            report("\(error)", at: literalToken.span)
            throw Unwind()
        }
    }

    // MARK: Pipelines

    /// pipeline     = head { continuation stage }
    /// continuation = "|" { NEWLINE } | NEWLINE { NEWLINE } "|" { NEWLINE }
    private mutating func parsePipeline() throws -> Pipeline {
        let head = try parseHead()
        var stages: [StageCall] = []
        var end = head.span
        while true {
            if match(.pipe) {
                skipNewlines()
            } else if check(.newline), nextAfterNewlines().kind == .pipe {
                skipNewlines()
                advance()
                skipNewlines()
            } else {
                break
            }
            guard check(.identifier) else {
                report("expected a stage name after `|`, found \(describe(current))", at: current.span)
                throw Unwind()
            }
            let stage = try parseStage()
            stages.append(stage)
            end = stage.span
        }
        return Pipeline(head: head, stages: stages, span: head.span.through(end))
    }

    /// head = stage | expression
    ///
    /// A name followed by an arithmetic operator starts an expression (`eps * 2`);
    /// otherwise a name starts a stage call, which the checker resolves to a variable
    /// when it is a lone name bound in scope.
    private mutating func parseHead() throws -> PipelineHead {
        if check(.identifier), !Self.binaryOperators.keys.contains(peek(1).kind) {
            return .stage(try parseStage())
        }
        return .expression(try parseExpression())
    }

    /// stage    = IDENT { argument }
    /// argument = IDENT "=" expression | "as" expression | primary
    private mutating func parseStage() throws -> StageCall {
        let name = advance()
        var arguments: [StageArgument] = []
        while !Self.endsStage(current.kind) {
            if check(.identifier), peek(1).kind == .equals {
                let label = advance()
                advance()
                let value = try parseExpression()
                arguments.append(StageArgument(label: label.text, labelSpan: label.span, writtenWithAs: false,
                                          value: value, span: label.span.through(value.span)))
            } else if check(.kwAs) {
                let label = advance()
                _ = match(.equals)
                let value = try parseExpression()
                if check(.equals) {
                    // `report as t={t}`: a label meant as text.
                    report("the label after `as` is one value; write it in quotes: `as \"t={t}\"`", at: value.span.through(current.span))
                    throw Unwind()
                }
                arguments.append(StageArgument(label: "as", labelSpan: label.span, writtenWithAs: true,
                                          value: value, span: label.span.through(value.span)))
            } else if Self.startsPrimary(current.kind) {
                let value = try parsePrimary()
                arguments.append(StageArgument(label: nil, labelSpan: value.span, writtenWithAs: false,
                                          value: value, span: value.span))
            } else {
                report("unexpected \(describe(current)) in the arguments of `\(name.text)`; write arguments as `key=value`",
                       at: current.span)
                throw Unwind()
            }
        }
        let span = arguments.last.map { name.span.through($0.span) } ?? name.span
        return StageCall(name: name.text, nameSpan: name.span, arguments: arguments, span: span)
    }

    private static func endsStage(_ kind: TokenKind) -> Bool {
        switch kind {
        case .pipe, .newline, .semicolon, .rightBrace, .endOfFile, .rightParen, .rightBracket: return true
        default: return false
        }
    }

    /// A part after `-` in a hyphenated name: a word (keywords too, as in `default-set`) or digits.
    private static func continuesName(_ kind: TokenKind) -> Bool {
        kind == .identifier || kind == .number || TokenKind.keywords.values.contains(kind)
    }

    private static func startsPrimary(_ kind: TokenKind) -> Bool {
        switch kind {
        case .identifier, .number, .string, .kwTrue, .kwFalse, .kwNone, .leftBracket, .leftParen: return true
        default: return false
        }
    }

    // MARK: Expressions

    /// Binding power of each infix operator: higher binds tighter.
    private static let binaryOperators: [TokenKind: (BinaryOperator, precedence: Int)] = [
        .plus: (.add, 1), .minus: (.subtract, 1),
        .star: (.multiply, 2), .slash: (.divide, 2),
    ]

    /// expression = unary { binaryOperator unary }   (precedence from `binaryOperators`)
    public mutating func parseExpression() throws -> Expression {
        try parseBinary(minimumPrecedence: 1)
    }

    /// The loop reads a left-associative chain (`1 + 1 + …`) without recursing, but the tree it
    /// builds is as deep as the chain is long, and the checker, interpreter and formatter walk
    /// it recursively; so every operator of the chain counts as one level of nesting.
    private mutating func parseBinary(minimumPrecedence: Int) throws -> Expression {
        var left = try parseUnary()
        var chainDepth = 0
        defer { nesting -= chainDepth }
        while let (op, precedence) = Self.binaryOperators[current.kind], precedence >= minimumPrecedence {
            let operatorToken = advance()
            chainDepth += 1
            try enterNesting(at: operatorToken.span)
            let right = try parseBinary(minimumPrecedence: precedence + 1)
            left = Expression(.binary(op, left, right), span: left.span.through(right.span))
        }
        return left
    }

    /// unary = "-" unary | primary
    private mutating func parseUnary() throws -> Expression {
        if check(.minus) {
            let minus = advance()
            try enterNesting(at: minus.span)
            let operand = try parseUnary()
            nesting -= 1
            return Expression(.negate(operand), span: minus.span.through(operand.span))
        }
        return try parsePrimary()
    }

    /// primary = NUMBER | STRING | "true" | "false" | "none" | name | list | "(" expression ")"
    /// name    = IDENT { "-" ( IDENT | NUMBER ) }      (no spaces between the parts)
    /// list    = "[" [ expression { "," expression } [ "," ] ] "]"
    private mutating func parsePrimary() throws -> Expression {
        let token = current
        switch token.kind {
        case .number:
            advance()
            guard let value = Double(token.text), value.isFinite else {
                report("number `\(token.text)` is too large", at: token.span)
                return Expression(.number(0, text: token.text), span: token.span)
            }
            if !Self.isExact(token.text, value) {
                report("number `\(token.text)` cannot be held exactly (whole numbers are exact up to \(Self.largestExactInteger)); write a smaller number",
                       at: token.span)
            }
            return Expression(.number(value, text: token.text), span: token.span)
        case .string:
            advance()
            return Expression(.string(decodeString(token)), span: token.span)
        case .kwTrue, .kwFalse:
            advance()
            return Expression(.bool(token.kind == .kwTrue), span: token.span)
        case .kwNone:
            advance()
            return Expression(.none, span: token.span)
        case .identifier:
            advance()
            var text = token.text
            var span = token.span
            while check(.minus), !current.precededBySpace,
                  Self.continuesName(peek(1).kind), !peek(1).precededBySpace {
                advance()
                let part = advance()
                text += "-" + part.text
                span = span.through(part.span)
            }
            return Expression(text == token.text ? .identifier(text) : .name(text), span: span)
        case .leftBracket:
            let open = advance()
            try enterNesting(at: open.span)
            var elements: [Expression] = []
            while !check(.rightBracket) {
                elements.append(try parseExpression())
                if !match(.comma) { break }
            }
            let close = try expect(.rightBracket, "`]` to close the list")
            nesting -= 1
            return Expression(.list(elements), span: open.span.through(close.span))
        case .leftParen:
            let open = advance()
            try enterNesting(at: open.span)
            let inner = try parseExpression()
            let close = try expect(.rightParen, "`)` to close the parenthesis")
            nesting -= 1
            return Expression(.group(inner), span: open.span.through(close.span))
        case .pipe:
            // Pasting the continuation lines of a pipeline without its first line.
            report("expected a value, found `|`; a line starting with `|` continues the pipeline on the line above it, so start the pipeline with its source first (e.g. `data` or `load fashion-mnist split=test`)",
                   at: token.span)
            throw Unwind()
        default:
            report("expected a value, found \(describe(token))", at: token.span)
            throw Unwind()
        }
    }

    /// 2^53: every whole number up to this is exactly a `Double`, DPL's one number type.
    static let largestExactInteger: UInt64 = 1 << 53

    /// Whether a literal written with digits alone (`12345`) is exactly the number it parsed
    /// to; a seed or count written as `9007199254740993` would otherwise silently change.
    /// Literals with a point or an exponent ask for a rounded value and are always accepted.
    private static func isExact(_ text: String, _ value: Double) -> Bool {
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return true }
        guard value >= Double(largestExactInteger) else { return true }
        guard let written = UInt64(text), let parsed = UInt64(exactly: value) else { return false }
        return written == parsed
    }

    // MARK: Strings

    /// Splits a string token into text and `{name}` parts, decoding escapes.
    private mutating func decodeString(_ token: Token) -> StringLiteral {
        var bytes = Array(token.text.utf8.dropFirst())
        if bytes.last == UInt8(ascii: "\""), token.text.utf8.count >= 2 { bytes.removeLast() }
        var parts: [StringLiteral.Part] = []
        var text: [UInt8] = []
        var index = 0
        func span(at offset: Int, length: Int) -> SourceSpan {
            SourceSpan(file: token.span.file, line: token.span.line, column: token.span.column + 1 + offset, length: length)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                let escaped = bytes[index + 1]
                switch escaped {
                case UInt8(ascii: "n"): text.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): text.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): text.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "}"): text.append(escaped)
                default:
                    let shown = String(decoding: [escaped], as: UTF8.self)
                    report("unknown escape `\\\(shown)` in a string; write `\\\\` for a backslash", at: span(at: index, length: 2))
                }
                index += 2
            } else if byte == UInt8(ascii: "{") {
                var end = index + 1
                while end < bytes.count, Lexer.isIdentifierPart(bytes[end]) { end += 1 }
                let name = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                guard end < bytes.count, bytes[end] == UInt8(ascii: "}"), let first = name.utf8.first,
                      Lexer.isIdentifierStart(first) else {
                    report("expected a variable name and `}` after `{` in a string; write `\\{` for a literal brace",
                           at: span(at: index, length: 1))
                    index += 1
                    continue
                }
                if !text.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))) }
                text = []
                parts.append(.interpolation(name, span(at: index + 1, length: end - index - 1)))
                index = end + 1
            } else {
                text.append(byte)
                index += 1
            }
        }
        if !text.isEmpty || parts.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))) }
        return StringLiteral(parts: parts, raw: token.text)
    }

    // MARK: Token helpers

    private var current: Token { tokens.current }

    private func peek(_ ahead: Int) -> Token { tokens.peek(ahead) }

    private func check(_ kind: TokenKind) -> Bool { current.kind == kind }

    @discardableResult
    private mutating func advance() -> Token {
        let token = current
        tokens.advance()
        return token
    }

    private mutating func match(_ kind: TokenKind) -> Bool {
        guard check(kind) else { return false }
        advance()
        return true
    }

    @discardableResult
    private mutating func expect(_ kind: TokenKind, _ what: String) throws -> Token {
        if check(kind) { return advance() }
        report("expected \(what), found \(describe(current))", at: current.span)
        throw Unwind()
    }

    private func nextAfterNewlines() -> Token {
        // Ends: the stream's last token is `.endOfFile`, and peeking past it returns it.
        var ahead = 0
        while tokens.peek(ahead).kind == .newline { ahead += 1 }
        return tokens.peek(ahead)
    }

    private mutating func skipNewlines() { while check(.newline) { advance() } }

    private mutating func skipSeparators() { while check(.newline) || check(.semicolon) { advance() } }

    private mutating func enterNesting(at span: SourceSpan) throws {
        nesting += 1
        if nesting > Self.maximumNesting {
            // Each operator of a chain (`1 + 1 + …`) counts as a level: the tree it builds is that deep.
            report("nesting is deeper than \(Self.maximumNesting) levels (brackets, loops, `-` and each operator of a chain count); split the expression with `let`",
                   at: span)
            throw Unwind()
        }
    }

    /// Skips the rest of a broken statement: to its line end, past any braces it opened.
    private mutating func synchronize() {
        var depth = 0
        while !check(.endOfFile) {
            switch current.kind {
            case .leftBrace: depth += 1
            case .rightBrace:
                if depth == 0 {
                    if blockDepth > 0 { return }
                } else {
                    depth -= 1
                }
            case .newline, .semicolon:
                if depth == 0 { return }
            default: break
            }
            advance()
        }
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .identifier, .number: return "`\(token.text)`"
        case .string: return "a string"
        default: return token.kind.displayName
        }
    }

    private mutating func report(_ message: String, at span: SourceSpan) {
        // One error per place is enough; a second at the same spot is a consequence of the first.
        // A set, not a scan of `diagnostics`, so a file with 80,000 errors is not quadratic.
        guard reportedPlaces.insert(Place(line: span.line, column: span.column)).inserted else { return }
        parserDiagnostics.append(Diagnostic(message, at: span))
    }

    /// A line and column already reported.
    private struct Place: Hashable {
        let line: Int
        let column: Int
    }
}
