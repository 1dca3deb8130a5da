// The contract between the REPL and the language. The REPL knows nothing of DPL's syntax or
// values; everything it needs from the language goes through this protocol, so the language
// module can evolve (and be tested) without the terminal, and the REPL without the language.

// MARK: - Session

/// A language session the REPL drives: it keeps variables and settings between statements.
///
/// The REPL calls every method on its own thread, except `interrupt()`, which arrives on another
/// thread while `execute` is running and must therefore be thread-safe.
public protocol REPLSession: AnyObject {
    /// Runs one complete statement (or a whole file's content, for `:load`), writing results
    /// and error messages to `output`. `origin` names where the source came from, for error
    /// locations: `"<repl>"` for typed input, the path for `:load`.
    func execute(_ source: String, origin: String, output: REPLOutput) -> REPLResult

    /// Whether `source` is an unfinished statement that the next line continues: a pipeline
    /// ending in `|`, an open brace or bracket, an unterminated string.
    func needsMoreInput(_ source: String) -> Bool

    /// A tracker for one statement whose lines arrive one at a time. The REPL asks after every
    /// line whether the statement is complete; a tracker that looks at each new line once keeps
    /// a long statement (a 10,000-line list piped in) linear. The default asks
    /// `needsMoreInput(_:)` about all the lines so far.
    func makeInputTracker() -> any InputTracker

    /// Whether `line`, coming right after a complete statement, continues it rather than
    /// starting a new one (DPL: a line starting with `|`). Asked only when reading a script
    /// without a terminal; the default implements DPL's rule.
    func continuesStatement(_ line: String) -> Bool

    /// Candidates for the word being completed: stage names, parameter names of the stage
    /// under the cursor, variable names, file paths inside strings. Each candidate replaces
    /// `context.word` entirely, so it should start with it.
    func completions(for context: CompletionContext) -> [String]

    /// Help text: an overview when `topic` is nil, otherwise the help for that stage or topic.
    func help(_ topic: String?) -> String

    /// The variables defined so far, with a one-line summary of each value, in display order.
    func variables() -> [(name: String, summary: String)]

    /// The predicted run time of `source` in this session's state, as text to print; running
    /// nothing (`:estimate`).
    func estimate(_ source: String) -> String

    /// Forgets every variable, definition and setting, as if the session had just started.
    func reset()

    /// Asks the statement that `execute` is running to stop soon. Called from another thread
    /// when the user presses Ctrl-C; `execute` should then return `.interrupted`.
    func interrupt()
}

extension REPLSession {
    /// A session whose language cannot predict run times says so.
    public func estimate(_ source: String) -> String { "this session cannot predict run times" }

    /// DPL's rule: a line whose first non-blank character is `|` continues the pipeline above.
    public func continuesStatement(_ line: String) -> Bool {
        line.trimmingWhitespace().hasPrefix("|")
    }

    /// Asks `needsMoreInput(_:)` about every line so far, after each line.
    public func makeInputTracker() -> any InputTracker { RescanningInputTracker(session: self) }
}

// MARK: - Statements read line by line

/// Decides, as the lines of one statement arrive, whether it needs more.
public protocol InputTracker: AnyObject {
    /// Takes the next line of the statement.
    func append(_ line: String)
    /// Whether the lines so far stop mid-statement.
    var needsMoreInput: Bool { get }
}

/// The default tracker: keeps the lines and asks the session about all of them each time.
public final class RescanningInputTracker: InputTracker {
    private let session: any REPLSession
    private var lines: [String] = []

    /// A tracker asking `session`.
    public init(session: any REPLSession) { self.session = session }

    /// Keeps `line`.
    public func append(_ line: String) { lines.append(line) }

    /// `session.needsMoreInput` of every line so far.
    public var needsMoreInput: Bool { session.needsMoreInput(lines.joined(separator: "\n")) }
}

// MARK: - Results

/// How one `execute` call ended; the REPL uses it for the exit status of a non-terminal run.
public enum REPLResult: Equatable, Sendable {
    /// The statement ran to the end.
    case completed
    /// The statement failed; the session already wrote the error message.
    case failed
    /// The statement stopped early because `interrupt()` was called.
    case interrupted
}

// MARK: - Completion

/// What the REPL knows about a completion request when the user presses TAB.
public struct CompletionContext: Equatable, Sendable {
    /// The whole line being edited (only the current physical line of a multi-line statement).
    public let line: String
    /// The part of `line` before the cursor; it decides which stage the cursor is in.
    public let textBeforeCursor: String
    /// The partial word just before the cursor that a candidate replaces (may be empty).
    /// Words end at whitespace and at the characters in `REPL.wordBreakCharacters`.
    public let word: String
    /// The statement lines already entered above this one, when the statement spans lines.
    public let pendingStatement: String

    /// Creates a context; `word` is derived from `textBeforeCursor` when not given.
    public init(line: String, textBeforeCursor: String, word: String? = nil, pendingStatement: String = "") {
        self.line = line
        self.textBeforeCursor = textBeforeCursor
        self.word = word ?? CompletionContext.trailingWord(of: textBeforeCursor)
        self.pendingStatement = pendingStatement
    }

    /// The run of non-break characters at the end of `text`.
    public static func trailingWord(of text: String) -> String {
        let breaks = Set(REPL.wordBreakCharacters.unicodeScalars)
        let scalars = text.unicodeScalars[...]
        var start = scalars.endIndex
        while start > scalars.startIndex {
            let previous = scalars.index(before: start)
            if breaks.contains(scalars[previous]) { break }
            start = previous
        }
        return String(String.UnicodeScalarView(scalars[start...]))
    }
}
