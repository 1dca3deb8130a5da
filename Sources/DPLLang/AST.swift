// MARK: - Program

/// A parsed script: its statements, and its comments kept aside for the formatter.
public struct Program: Sendable {
    /// The file the program was parsed from.
    public var source: SourceFile
    /// Top-level statements in source order.
    public var statements: [Statement]
    /// Every `#` comment token, in source order.
    public var comments: [Token]
}

// MARK: - Statements

/// One statement: a pipeline, a binding, a setting, a definition, a loop, an import or a version requirement.
public enum Statement: Sendable {
    /// `a | b | c` evaluated for its result.
    case pipeline(Pipeline)
    /// `let name = pipeline`.
    case letBinding(LetStatement)
    /// `set key = pipeline`.
    case setting(SetStatement)
    /// `def name(p=default, …) = fragment`.
    case definition(DefStatement)
    /// `for x in list { … }`.
    case loop(ForStatement)
    /// `import "file.dpl"`.
    case importFile(ImportStatement)
    /// `require dpl ">= 0.3"`.
    case require(RequireStatement)

    /// Where the whole statement is.
    public var span: SourceSpan {
        switch self {
        case .pipeline(let node): return node.span
        case .letBinding(let node): return node.span
        case .setting(let node): return node.span
        case .definition(let node): return node.span
        case .loop(let node): return node.span
        case .importFile(let node): return node.span
        case .require(let node): return node.span
        }
    }
}

/// `let name = value`: binds a name in the current scope.
public struct LetStatement: Sendable {
    /// The bound name.
    public var name: String
    /// Where the name is.
    public var nameSpan: SourceSpan
    /// The pipeline or expression whose result is bound.
    public var value: Pipeline
    /// The whole statement.
    public var span: SourceSpan
}

/// `set key = value`: changes a session setting.
public struct SetStatement: Sendable {
    /// The setting's name.
    public var key: String
    /// Where the key is.
    public var keySpan: SourceSpan
    /// The new value.
    public var value: Pipeline
    /// The whole statement.
    public var span: SourceSpan
}

/// A parameter of a `def`: a name and an optional default.
public struct DefParameter: Sendable {
    /// The parameter's name, used as `name=value` at call sites.
    public var name: String
    /// The default; a parameter without one must be given at every call.
    public var defaultValue: Expression?
    /// Where the parameter is.
    public var span: SourceSpan
}

/// `def name(params) = fragment`: a new stage made of a pipeline fragment.
public struct DefStatement: Sendable {
    /// The new stage's name.
    public var name: String
    /// Where the name is.
    public var nameSpan: SourceSpan
    /// The parameters, in order.
    public var parameters: [DefParameter]
    /// The fragment the stage expands to.
    public var body: Pipeline
    /// The whole statement.
    public var span: SourceSpan
}

/// `for variable in sequence { body }`.
public struct ForStatement: Sendable {
    /// The loop variable, bound in a new scope on each iteration.
    public var variable: String
    /// Where the loop variable is.
    public var variableSpan: SourceSpan
    /// The list iterated over.
    public var sequence: Expression
    /// The statements run for each element.
    public var body: [Statement]
    /// The whole statement, through the closing brace.
    public var span: SourceSpan
}

/// `import "path"`: runs another script once, resolved against the importing file's folder.
public struct ImportStatement: Sendable {
    /// The path as written, escapes decoded.
    public var path: String
    /// The string literal's text as written, for the formatter.
    public var literal: String
    /// Where the path literal is.
    public var pathSpan: SourceSpan
    /// The whole statement.
    public var span: SourceSpan
}

/// `require dpl ">= 0.3"`: the DPL versions the script runs on. It must come before every
/// other statement of its file; the checker refuses the script when the running DPL does not satisfy it.
public struct RequireStatement: Sendable {
    /// The parsed requirement.
    public var requirement: VersionRequirement
    /// Where the requirement's string literal is.
    public var requirementSpan: SourceSpan
    /// The whole statement.
    public var span: SourceSpan
}

// MARK: - Pipelines and stages

/// `head | stage | stage …`.
public struct Pipeline: Sendable {
    /// The first element: a value, or a stage call (which may turn out to name a variable).
    public var head: PipelineHead
    /// The stages after the first `|`, in order.
    public var stages: [StageCall]
    /// The whole pipeline.
    public var span: SourceSpan

    /// The head and the following stages as stage calls, when the head is a stage call.
    public var allStages: [StageCall] {
        if case .stage(let call) = head { return [call] + stages }
        return stages
    }
}

/// What a pipeline starts with.
public enum PipelineHead: Sendable {
    /// A value such as `8/255`, `[1, 2]` or `"text"`.
    case expression(Expression)
    /// A stage call such as `load mnist n=10`, or a bare name such as `data`
    /// that refers to a variable when one is in scope.
    case stage(StageCall)

    /// Where the head is.
    public var span: SourceSpan {
        switch self {
        case .expression(let expression): return expression.span
        case .stage(let call): return call.span
        }
    }
}

/// A stage invocation: `purify t=100 seed=fixed`, `attack pgd`, `report as "x"`.
public struct StageCall: Sendable {
    /// The stage's name.
    public var name: String
    /// Where the name is.
    public var nameSpan: SourceSpan
    /// Positional and keyword arguments in source order.
    public var arguments: [StageArgument]
    /// The whole call.
    public var span: SourceSpan

    /// Whether this call is a lone name, which may refer to a variable.
    public var isBareName: Bool { arguments.isEmpty }
}

/// One argument of a stage call.
public struct StageArgument: Sendable {
    /// The keyword, or nil for a positional argument.
    public var label: String?
    /// Where the keyword is (the value's span for positional arguments).
    public var labelSpan: SourceSpan
    /// Whether the argument was written `as value` rather than `as=value`.
    public var writtenWithAs: Bool
    /// The argument's value.
    public var value: Expression
    /// The whole argument.
    public var span: SourceSpan
}

// MARK: - Expressions

/// A value-producing expression with its source span.
public struct Expression: Sendable {
    /// What the expression is.
    public var kind: ExpressionKind
    /// Where the expression is.
    public var span: SourceSpan

    /// Creates an expression.
    public init(_ kind: ExpressionKind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

/// Arithmetic operators; their precedence is in the parser's table.
public enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
}

/// The forms an expression takes.
public indirect enum ExpressionKind: Sendable {
    /// A number literal, with its text as written for the formatter.
    case number(Double, text: String)
    /// A string literal.
    case string(StringLiteral)
    /// `true` or `false`.
    case bool(Bool)
    /// `none`.
    case none
    /// A plain identifier: a variable when one is in scope, otherwise a name such as `pgd`.
    case identifier(String)
    /// A hyphenated name such as `fashion-mnist`, never a variable.
    case name(String)
    /// `[a, b, c]`.
    case list([Expression])
    /// `-x`.
    case negate(Expression)
    /// `a op b`.
    case binary(BinaryOperator, Expression, Expression)
    /// `(a)`, kept so the formatter reprints the parentheses.
    case group(Expression)
}

/// A string literal split into literal text and `{name}` interpolations.
public struct StringLiteral: Sendable {
    /// A piece of a string literal.
    public enum Part: Sendable {
        /// Literal text, escapes already decoded.
        case text(String)
        /// `{name}`: the named variable's value, formatted.
        case interpolation(String, SourceSpan)
    }

    /// The pieces in order.
    public var parts: [Part]
    /// The literal exactly as written, quotes included, for the formatter.
    public var raw: String

    /// The literal's text when it has no interpolations.
    public var plainText: String? {
        var text = ""
        for part in parts {
            guard case .text(let piece) = part else { return nil }
            text += piece
        }
        return text
    }
}
