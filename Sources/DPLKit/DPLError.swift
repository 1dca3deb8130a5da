// MARK: - Errors

/// Why a script did not run to the end. `description` is the text `dpl` prints: each problem as
/// `file:line:col: error: …` with the source line and a caret.
public struct DPLError: Error, Sendable, CustomStringConvertible {
    /// When the script stopped.
    public enum Kind: Sendable, Equatable {
        /// The script did not parse or check (or requires another DPL version); nothing ran.
        case script
        /// A statement failed while running; statements before it ran.
        case runtime
        /// A setting passed to `DPL.run` was unknown or had a bad value; nothing ran.
        case setting
        /// The script file could not be read.
        case unreadableFile
        /// The run was stopped (the session's cancellation); statements before it ran.
        case cancelled
    }

    /// When the script stopped.
    public let kind: Kind
    /// The problems, in the order they were found.
    public let diagnostics: [DPLDiagnostic]
    /// Lines printed before the failure (statements before a runtime failure run and print).
    public let outputLines: [String]
    /// The diagnostics rendered with source lines and carets.
    public let description: String
}

/// One problem in a script and where it is.
public struct DPLDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// The script's name as given (a path, or the `name` passed to `DPL.run(source:)`).
    public let file: String
    /// 1-based line.
    public let line: Int
    /// 1-based column, in bytes of UTF-8.
    public let column: Int
    /// One sentence, with the likely fix after `; ` when there is one.
    public let message: String

    /// `file:line:col: message`.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}
