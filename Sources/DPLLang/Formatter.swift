// MARK: - Formatter

/// Prints a program in the canonical layout `dpl fmt` writes. Formatting is idempotent and
/// keeps every comment: a comment on its own line stays before the statement that follows it,
/// and a comment after code stays at the end of the line it was on.
///
/// Layout: one statement per line, two-space indentation inside `{ }`, at most one blank line
/// between statements, spaces around `=` only in `let`/`set`/`def`, `key=value` arguments,
/// `+` and `-` spaced (so `t - 1` never reads as the name `t-1`), `*` and `/` tight (`8/255`).
/// A pipeline written on one line stays on one line; one written across lines puts each
/// stage after the first on its own line as `  | stage`.
public struct Formatter {
    private var output: [String] = []
    private var comments: [Token]
    private var nextComment = 0
    private var lastSourceLine = 0

    /// Formats the parsed `program`. Callers must not format a program with parse errors,
    /// since the parser skipped the broken statements.
    public static func format(_ program: Program) -> String {
        var formatter = Formatter(comments: program.comments)
        formatter.statements(program.statements, indent: 0, closingLine: Int.max)
        while formatter.output.last == "" { formatter.output.removeLast() }
        return formatter.output.isEmpty ? "" : formatter.output.joined(separator: "\n") + "\n"
    }

    private init(comments: [Token]) { self.comments = comments }

    // MARK: Statements

    private mutating func statements(_ statements: [Statement], indent: Int, closingLine: Int) {
        let blockStart = output.count
        for statement in statements {
            leadingComments(before: statement.span.line, indent: indent, blockStart: blockStart)
            separate(before: statement.span.line, blockStart: blockStart)
            self.statement(statement, indent: indent)
        }
        leadingComments(before: closingLine, indent: indent, blockStart: blockStart)
    }

    private mutating func statement(_ statement: Statement, indent: Int) {
        let pad = String(repeating: "  ", count: indent)
        switch statement {
        case .pipeline(let pipeline):
            self.pipeline(pipeline, prefix: pad, indent: indent)
        case .letBinding(let binding):
            self.pipeline(binding.value, prefix: "\(pad)let \(binding.name) = ", indent: indent)
        case .setting(let setting):
            self.pipeline(setting.value, prefix: "\(pad)set \(setting.key) = ", indent: indent)
        case .definition(let definition):
            let parameters = definition.parameters.map { parameter in
                parameter.defaultValue.map { "\(parameter.name)=\(expression($0))" } ?? parameter.name
            }
            let signature = parameters.isEmpty ? definition.name : "\(definition.name)(\(parameters.joined(separator: ", ")))"
            self.pipeline(definition.body, prefix: "\(pad)def \(signature) = ", indent: indent)
        case .loop(let loop):
            line("\(pad)for \(loop.variable) in \(expression(loop.sequence)) {", sourceLine: loop.sequence.span.endLine)
            statements(loop.body, indent: indent + 1, closingLine: loop.span.endLine)
            line("\(pad)}", sourceLine: loop.span.endLine)
        case .importFile(let statement):
            line("\(pad)import \(statement.literal)", sourceLine: statement.span.endLine)
        case .require(let statement):
            // Canonical requirement: `op version` clauses joined by `, `, versions as written.
            line("\(pad)require dpl \"\(statement.requirement)\"", sourceLine: statement.span.endLine)
        }
    }

    private mutating func pipeline(_ pipeline: Pipeline, prefix: String, indent: Int) {
        let head: String
        switch pipeline.head {
        case .expression(let value): head = expression(value)
        case .stage(let call): head = stage(call)
        }
        if pipeline.span.endLine == pipeline.span.line || pipeline.stages.isEmpty {
            line(prefix + ([head] + pipeline.stages.map(stage)).joined(separator: " | "), sourceLine: pipeline.span.endLine)
            return
        }
        line(prefix + head, sourceLine: pipeline.head.span.endLine)
        let pad = String(repeating: "  ", count: indent + 1)
        for call in pipeline.stages {
            // A comment on its own line between stages stays on its own line there.
            leadingComments(before: call.span.line, indent: indent + 1, blockStart: output.count)
            line("\(pad)| \(stage(call))", sourceLine: call.span.endLine)
        }
    }

    // MARK: Stages and expressions

    private func stage(_ call: StageCall) -> String {
        var parts = [call.name]
        for argument in call.arguments {
            let value = expression(argument.value)
            switch argument.label {
            case nil: parts.append(value)
            case "as" where argument.writtenWithAs: parts.append("as \(value)")
            case let label?: parts.append("\(label)=\(value)")
            }
        }
        return parts.joined(separator: " ")
    }

    private func expression(_ node: Expression) -> String {
        switch node.kind {
        case .number(_, let text): return text
        case .string(let literal): return literal.raw
        case .bool(let flag): return flag ? "true" : "false"
        case .none: return "none"
        case .identifier(let name), .name(let name): return name
        case .list(let elements): return "[" + elements.map(expression).joined(separator: ", ") + "]"
        case .group(let inner): return "(" + expression(inner) + ")"
        case .negate(let operand): return "-" + expression(operand)
        case .binary(let op, let left, let right):
            switch op {
            case .add, .subtract: return "\(expression(left)) \(op.rawValue) \(expression(right))"
            case .multiply, .divide: return "\(expression(left))\(op.rawValue)\(expression(right))"
            }
        }
    }

    // MARK: Lines and comments

    /// Emits one line, then any comments that were on the source lines it covers.
    private mutating func line(_ text: String, sourceLine: Int) {
        var text = text
        var extra: [String] = []
        var appended = false
        let pad = String(text.prefix { $0 == " " })
        while nextComment < comments.count, comments[nextComment].span.line <= sourceLine {
            // The first comment stays at the end of the line; a second one (from a list that
            // spanned lines) follows on its own line.
            if !appended {
                text += "  " + comments[nextComment].text
                appended = true
            } else {
                extra.append(pad + comments[nextComment].text)
            }
            nextComment += 1
        }
        output.append(text)
        output += extra
        lastSourceLine = max(lastSourceLine, sourceLine)
    }

    /// Emits comments on lines before `line` as lines of their own, keeping one blank line
    /// where the source had any.
    private mutating func leadingComments(before line: Int, indent: Int, blockStart: Int) {
        let pad = String(repeating: "  ", count: indent)
        while nextComment < comments.count, comments[nextComment].span.line < line {
            let comment = comments[nextComment]
            separate(before: comment.span.line, blockStart: blockStart)
            output.append(pad + comment.text)
            lastSourceLine = comment.span.line
            nextComment += 1
        }
    }

    private mutating func separate(before line: Int, blockStart: Int) {
        if line > lastSourceLine + 1, output.count > blockStart, output.last != "" { output.append("") }
    }
}
