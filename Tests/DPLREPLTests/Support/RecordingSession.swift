import DPLREPL
import Foundation

/// A fake language session that records every call the REPL makes.
///
/// - `needsMoreInput` is true for a trailing `|` or an unclosed `{`, like DPL's rule.
/// - `execute` fails for sources containing `fail`, and blocks on `sleep` until `interrupt()`.
final class RecordingSession: REPLSession, @unchecked Sendable {
    /// One call the REPL made, in order.
    enum Call: Equatable {
        case execute(source: String, origin: String)
        case needsMoreInput(String)
        case completions(CompletionContext)
        case help(String?)
        case variables
        case reset
        case interrupt
    }

    var variableList: [(name: String, summary: String)] = []
    var completionCandidates: [String] = []
    /// Signalled when `execute` starts blocking on `sleep`.
    let sleeping = DispatchSemaphore(value: 0)

    private let lock = NSLock()
    private var recorded: [Call] = []
    private let interrupted = DispatchSemaphore(value: 0)

    var calls: [Call] {
        lock.lock(); defer { lock.unlock() }
        return recorded
    }

    /// The sources passed to `execute`, in order.
    var executedSources: [String] {
        calls.compactMap { if case .execute(let source, _) = $0 { return source } else { return nil } }
    }

    private func record(_ call: Call) {
        lock.lock(); recorded.append(call); lock.unlock()
    }

    func execute(_ source: String, origin: String, output: REPLOutput) -> REPLResult {
        record(.execute(source: source, origin: origin))
        if source == "sleep" {
            sleeping.signal()
            return interrupted.wait(timeout: .now() + 10) == .success ? .interrupted : .completed
        }
        output.writeLine("ran \(source)")
        return source.contains("fail") ? .failed : .completed
    }

    /// When set, `makeInputTracker` gives a tracker that decides from each new line alone
    /// (by the same rule) and records the lines it is given.
    var tracksLines = false
    private(set) var trackedLines: [String] = []

    func makeInputTracker() -> any InputTracker {
        tracksLines ? LineTracker(session: self) : RescanningInputTracker(session: self)
    }

    final class LineTracker: InputTracker {
        let session: RecordingSession
        private var depth = 0
        private var last = ""
        init(session: RecordingSession) { self.session = session }
        func append(_ line: String) {
            session.trackedLines.append(line)
            depth += line.filter { $0 == "{" }.count - line.filter { $0 == "}" }.count
            if !line.trimmingCharacters(in: .whitespaces).isEmpty { last = line }
        }
        var needsMoreInput: Bool { depth > 0 || last.trimmingCharacters(in: .whitespaces).hasSuffix("|") }
    }

    func needsMoreInput(_ source: String) -> Bool {
        record(.needsMoreInput(source))
        let opened = source.filter { $0 == "{" }.count, closed = source.filter { $0 == "}" }.count
        return source.trimmingCharacters(in: .whitespaces).hasSuffix("|") || opened > closed
    }

    func completions(for context: CompletionContext) -> [String] {
        record(.completions(context))
        return completionCandidates
    }

    func help(_ topic: String?) -> String {
        record(.help(topic))
        return "help about \(topic ?? "DPL")"
    }

    func variables() -> [(name: String, summary: String)] {
        record(.variables)
        return variableList
    }

    func reset() { record(.reset) }

    func interrupt() {
        record(.interrupt)
        interrupted.signal()
    }
}
