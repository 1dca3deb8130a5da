import DPLLang
import DPLREPL
import DPLRuntime
import Foundation

/// Connects the REPL (which knows nothing of DPL's syntax) to a language `Session`: statements
/// run in one persistent session, completion draws on the stage registry and the variables,
/// and Ctrl-C sets the session's cancellation flag, which stages poll every step.
final class LanguageREPLSession: REPLSession {
    private let session: Session
    /// Where the running statement's printed results go; set for each `execute`.
    private let sink = OutputSink()

    /// Holds the current statement's output so the session's print closure can reach it.
    private final class OutputSink {
        var output: REPLOutput?
    }

    init(registry: StageRegistry, settingAssignments: [String]) {
        let sink = self.sink
        session = Session(registry: registry) { line in sink.output?.writeLine(line) }
        for assignment in settingAssignments {
            if let error = session.applySetting(assignment).errorText {
                FileHandle.standardError.write(Data((error + "\n").utf8))
            }
        }
    }

    func execute(_ source: String, origin: String, output: REPLOutput) -> REPLResult {
        sink.output = output
        defer { sink.output = nil }
        session.cancellation.reset()
        let outcome = session.run(SourceFile(name: origin, text: source))
        // A Ctrl-C is not an error in the script: the REPL's own `interrupted` says it all.
        if case .cancelled = outcome { return .interrupted }
        if let text = outcome.errorText {
            output.writeErrorLine(text)
            return .failed
        }
        return .completed
    }

    func needsMoreInput(_ source: String) -> Bool { Session.needsMoreInput(source) }

    /// Lexes each line once as it arrives (`Session.PendingStatement`).
    func makeInputTracker() -> any InputTracker { PendingStatementTracker() }

    func completions(for context: CompletionContext) -> [String] {
        let before = context.textBeforeCursor
        // Inside a string: complete file paths.
        if before.filter({ $0 == "\"" }).count % 2 == 1 { return pathCompletions(context.word) }
        return session.completions(before: before, word: context.word)
    }

    private func pathCompletions(_ word: String) -> [String] {
        let directory = word.contains("/") ? String(word[..<(word.lastIndex(of: "/") ?? word.startIndex)]) : "."
        let prefix = word.contains("/") ? directory + "/" : ""
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "/" : directory) else { return [] }
        return entries.map { entry -> String in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(entry), isDirectory: &isDirectory)
            return prefix + entry + (isDirectory.boolValue ? "/" : "")
        }.filter { $0.hasPrefix(word) }.sorted()
    }

    func help(_ topic: String?) -> String {
        guard let topic else { return Help.overview(registry: session.registry, settings: session.settingsRegistry) }
        return Help.stage(named: topic, registry: session.registry).text
    }

    func variables() -> [(name: String, summary: String)] {
        session.variables.sorted { $0.key < $1.key }.map { ($0.key, $0.value.description.split(separator: "\n").first.map(String.init) ?? "") }
    }

    /// Plans `source` after replaying what the session ran (uncounted), so it sees the same
    /// variables and settings; nothing runs and nothing is written.
    func estimate(_ source: String) -> String {
        let prelude = session.log.scripts.filter { !$0.imported }.map { SourceFile(name: $0.name, text: $0.text) }
        switch ScriptEstimator.estimate(SourceFile(name: "<repl>", text: source), settingAssignments: session.log.settingAssignments,
                                        prelude: prelude, settings: session.settingsRegistry, writePolicy: session.registry.writePolicy) {
        case .success(let estimate): return estimate.rendered
        case .failure(let failure): return failure.description
        }
    }

    func reset() { session.reset() }

    func interrupt() { session.cancellation.cancel() }
}

/// `Session.PendingStatement` as the REPL's tracker.
final class PendingStatementTracker: InputTracker {
    private var statement = Session.PendingStatement()

    func append(_ line: String) { statement.append(line) }

    var needsMoreInput: Bool { statement.needsMoreInput }
}
