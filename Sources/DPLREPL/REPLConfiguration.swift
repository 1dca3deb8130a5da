#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything about a REPL run that is not the session: where input comes from, prompts,
/// history, and whether Ctrl-C is handled.
public struct REPLConfiguration {
    /// Where statements are read from; standard input by default.
    public var inputFileDescriptor: Int32 = STDIN_FILENO
    /// Where results, prompts and messages go; standard output and standard error by default.
    public var output = REPLOutput()
    /// The file descriptor the line editor draws on; standard output by default.
    public var terminalOutputFileDescriptor: Int32 = STDOUT_FILENO
    /// Whether to use the line editor and show prompts. `nil` decides by whether the input is a
    /// terminal, which is what `dpl` wants; tests force it.
    public var interactive: Bool? = nil
    /// The prompt for a new statement.
    public var prompt = "dpl> "
    /// The prompt for the following lines of an unfinished statement.
    public var continuationPrompt = "...> "
    /// Text shown once before the first prompt of an interactive run, if any.
    public var banner: String? = nil
    /// Where history is kept across sessions.
    public var history = HistoryLocation.standard
    /// The most lines kept in history (in memory and in the file).
    public var historyLimit = 1000
    /// Whether Ctrl-C is caught (cancel the line, or interrupt the running statement). Turn it
    /// off when the embedding program handles SIGINT itself.
    public var handlesInterrupts = true

    /// A configuration for standard input and output with the standard history file.
    public init() {}
}

// MARK: - History location

/// Where the REPL keeps history between sessions.
public enum HistoryLocation: Equatable, Sendable {
    /// `$DPL_HISTORY` if set (an empty value turns history files off), else `~/.dpl_history`.
    case standard
    /// This file.
    case file(String)
    /// No history file; history lasts for the session only.
    case none

    /// The file this location names in the current environment, or nil for none.
    public func resolvedPath() -> String? {
        switch self {
        case .none:
            return nil
        case .file(let path):
            return path
        case .standard:
            if let override = environmentValue("DPL_HISTORY") {
                return override.isEmpty ? nil : expandingTilde(override)
            }
            guard let home = environmentValue("HOME"), !home.isEmpty else { return nil }
            return home.hasSuffix("/") ? home + ".dpl_history" : home + "/.dpl_history"
        }
    }
}

// MARK: - Environment helpers

func environmentValue(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

/// `~` and `~/…` become the home directory, as a shell would do for a typed path.
func expandingTilde(_ path: String) -> String {
    guard path == "~" || path.hasPrefix("~/"), let home = environmentValue("HOME") else { return path }
    return home + path.dropFirst()
}
