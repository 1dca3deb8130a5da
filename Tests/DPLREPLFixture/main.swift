// A stand-in `dpl` for the pseudo-terminal test in DPLREPLTests: the real REPL loop over a tiny
// scripted session, in its own process so that the terminal can be its controlling terminal
// and a typed Ctrl-C really arrives as SIGINT.
import DPLREPL
import Foundation

/// Echoes each statement as `ran: …` (newlines shown as ` \n `), keeps `let name = value`
/// variables, and blocks on the statement `sleep` until interrupted.
final class ScriptedSession: REPLSession {
    private var variablesByName: [(name: String, summary: String)] = []
    private let interrupted = DispatchSemaphore(value: 0)

    func execute(_ source: String, origin: String, output: REPLOutput) -> REPLResult {
        let trimmed = source.trimmingCharacters(in: .whitespaces)
        if trimmed == "sleep" {
            output.writeLine("sleeping")
            // Bounded so that a broken interrupt path fails the test instead of hanging it.
            return interrupted.wait(timeout: .now() + 20) == .success ? .interrupted : .completed
        }
        if trimmed.hasPrefix("let "), let equals = trimmed.firstIndex(of: "=") {
            let name = trimmed.dropFirst(4)[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            variablesByName.append((name, value))
        }
        output.writeLine("ran: " + source.replacingOccurrences(of: "\n", with: " \\n "))
        return .completed
    }

    func needsMoreInput(_ source: String) -> Bool {
        source.trimmingCharacters(in: .whitespaces).hasSuffix("|")
    }

    /// Parameter names after `purify `, otherwise stage and variable names.
    func completions(for context: CompletionContext) -> [String] {
        if context.textBeforeCursor.hasPrefix("purify ") { return ["seed=", "steps=", "t="] }
        return ["attack", "classify", "purify", "report"] + variablesByName.map(\.name)
    }

    func help(_ topic: String?) -> String { "help for \(topic ?? "everything")" }
    func variables() -> [(name: String, summary: String)] { variablesByName }
    func reset() { variablesByName = [] }
    func interrupt() { interrupted.signal() }
}

var configuration = REPLConfiguration()
configuration.banner = "fixture REPL"
let summary = REPL(session: ScriptedSession(), configuration: configuration).run()
exit(summary.succeeded ? 0 : 1)
