/// A REPL command that starts with `:` and is handled by the REPL rather than the language.
enum MetaCommand: Equatable {
    case help(topic: String?)
    case variables
    case load(path: String)
    /// Predict a statement's run time without running it: the given one, or the last one run.
    case estimate(source: String?)
    case reset
    case quit
    /// A `:` line the REPL cannot run; `message` says why and what exists.
    case invalid(message: String)

    /// The command list shown by `:help` and after a mistyped command.
    static let summary = """
        REPL commands:
          :help [stage]   overview, or the help for one stage
          :vars           the variables defined so far
          :load FILE      run the statements in FILE
          :estimate [S]   predict the run time of statement S (default: the last one run)
          :reset          forget all variables, definitions and settings
          :quit           leave the REPL (Ctrl-D does the same)
        """

    /// Parses a line that starts with `:` (leading whitespace already removed).
    static func parse(_ line: String) -> MetaCommand {
        let body = line.dropFirst()
        let name = String(body.prefix { !$0.isWhitespace })
        let argument = body.dropFirst(name.count).trimmingWhitespace()
        switch name {
        case "help", "h", "?":
            return .help(topic: argument.isEmpty ? nil : argument)
        case "vars":
            return argument.isEmpty ? .variables : .invalid(message: "`:vars` takes no argument; write `:vars`.")
        case "load", "l":
            let path = argument.removingSurroundingQuotes()
            return path.isEmpty ? .invalid(message: "`:load` needs a file; write `:load FILE`.")
                                : .load(path: expandingTilde(path))
        case "estimate", "e":
            return .estimate(source: argument.isEmpty ? nil : argument)
        case "reset":
            return argument.isEmpty ? .reset : .invalid(message: "`:reset` takes no argument; write `:reset`.")
        case "quit", "q", "exit":
            return .quit
        default:
            let shown = name.isEmpty ? ":" : ":" + name
            return .invalid(message: "unknown command `\(shown)`.\n" + summary)
        }
    }
}

// MARK: - String helpers

extension StringProtocol {
    /// The string without leading and trailing whitespace (Foundation-free).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    /// `"a b"` and `'a b'` become `a b`, so that paths with spaces can be given to `:load`.
    func removingSurroundingQuotes() -> String {
        let text = String(self)
        for quote in ["\"", "'"] where text.count >= 2 && text.hasPrefix(quote) && text.hasSuffix(quote) {
            return String(text.dropFirst().dropLast())
        }
        return text
    }
}
