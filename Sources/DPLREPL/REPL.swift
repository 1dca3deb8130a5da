#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The interactive loop: reads statements (several lines when the session says one is
/// unfinished), runs them in the session, and handles the `:` commands.
///
/// On a terminal it edits lines with libedit, keeps history in a file and completes with TAB;
/// otherwise it reads plain lines without prompts, so `dpl < script.dpl` works and tests can
/// drive it through a pipe. `dpl` with no arguments calls `REPL(session:).run()`.
public final class REPL {
    /// Characters that end the word TAB completes, besides whitespace: a candidate replaces
    /// only the text after the last of them (so `eps=8` completes `8`, `"data/tr` completes
    /// `data/tr`).
    public static let wordBreakCharacters = " \t\n\"'=|{}()[],;"

    /// The session statements run in.
    public let session: REPLSession
    /// How this REPL reads and writes.
    public let configuration: REPLConfiguration

    private var pendingLines: [String] = []
    /// The last statement run, which `:estimate` alone estimates.
    private var lastStatement: String?
    /// Follows `pendingLines` as they arrive; made afresh for each statement.
    private var inputTracker: (any InputTracker)?
    /// A line read ahead to see whether it continues the statement before it.
    private var lookahead: LineEvent?
    private var summary = REPLSummary()
    /// The line editor that keeps history, at a terminal only (nil when reading a script).
    private var historyReader: LineReader?

    /// A REPL over `session`; by default on standard input and output.
    public init(session: REPLSession, configuration: REPLConfiguration = REPLConfiguration()) {
        self.session = session
        self.configuration = configuration
    }

    // MARK: - Running

    /// Reads and runs statements until `:quit`, Ctrl-D or the end of input, and says how the
    /// statements went (a non-terminal run can turn that into an exit status). Without a
    /// terminal, Ctrl-C also ends the run, after interrupting the statement that is running.
    @discardableResult
    public func run() -> REPLSummary {
        summary = REPLSummary()
        pendingLines = []
        lookahead = nil
        let interrupts = configuration.handlesInterrupts ? InterruptMonitor() : nil
        interrupts?.start()
        defer { interrupts?.stop() }

        let interactive = configuration.interactive ?? (isatty(configuration.inputFileDescriptor) == 1)
        let reader = makeReader(interactive: interactive, interrupts: interrupts)
        defer { reader.finish() }
        historyReader = interactive ? reader : nil
        if interactive, let banner = configuration.banner { output.writeLine(banner) }

        while true {
            let prompt = !interactive ? "" : pendingLines.isEmpty ? configuration.prompt : configuration.continuationPrompt
            let step: Step
            let event = lookahead ?? reader.readLine(prompt: prompt)
            lookahead = nil
            switch event {
            case .endOfInput:
                // An unfinished statement at the end of a script is still run, so that its
                // error (an unclosed brace, say) is reported rather than silently dropped.
                if !pendingLines.isEmpty { runPendingStatement(interrupts) }
                step = .stop
            case .cancelled:
                pendingLines = []
                // Without a terminal nobody sits at a prompt: Ctrl-C stops the script, as it
                // would stop a shell reading one.
                if !interactive { summary.record(.interrupted) }
                step = interactive ? .proceed : .stop
            case .line(let line):
                step = handle(line, interactive: interactive, reader: reader, interrupts)
            }
            if step == .stop || (step == .interrupted && !interactive) { break }
        }
        return summary
    }

    /// What the loop does after a line: read the next one, or stop. An interrupted statement
    /// stops a non-terminal run only.
    private enum Step { case proceed, interrupted, stop }

    /// A line starts or continues a statement, or is a meta-command.
    private func handle(_ line: String, interactive: Bool, reader: LineReader,
                        _ interrupts: InterruptMonitor?) -> Step {
        if pendingLines.isEmpty {
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty { return .proceed }
            if trimmed.hasPrefix(":") {
                historyReader?.recordHistory(trimmed)
                return perform(MetaCommand.parse(trimmed), interrupts)
            }
        }
        if pendingLines.isEmpty { inputTracker = session.makeInputTracker() }
        pendingLines.append(line)
        inputTracker?.append(line)
        if inputTracker?.needsMoreInput == true { return .proceed }
        if !interactive && nextLineContinuesStatement(reader) { return .proceed }
        return runPendingStatement(interrupts) == .interrupted ? .interrupted : .proceed
    }

    /// Reading a script, a statement may continue on a line that starts with `|`; only the
    /// next line can tell, so it is read ahead and kept for the loop. At a terminal that would
    /// make every statement wait for another line, so there a pipeline continues only after
    /// a trailing `|`.
    private func nextLineContinuesStatement(_ reader: LineReader) -> Bool {
        let next = reader.readLine(prompt: "")
        lookahead = next
        guard case .line(let line) = next else { return false }
        return session.continuesStatement(line)
    }

    private var output: REPLOutput { configuration.output }

    private func makeReader(interactive: Bool, interrupts: InterruptMonitor?) -> LineReader {
        if interactive {
            let historyFile = configuration.history.resolvedPath().map {
                HistoryFile(path: $0, limit: configuration.historyLimit)
            }
            if let editor = EditLineReader(
                inputFileDescriptor: configuration.inputFileDescriptor,
                outputFileDescriptor: configuration.terminalOutputFileDescriptor,
                interrupts: interrupts, history: historyFile,
                sessionHistoryLimit: configuration.historyLimit, output: output,
                complete: { [unowned self] context in self.completions(for: context) }) {
                return editor
            }
            output.writeErrorLine("line editing is unavailable (libedit could not start); reading plain lines.")
        }
        return PlainLineReader(inputFileDescriptor: configuration.inputFileDescriptor, interrupts: interrupts)
    }

    // MARK: - Statements

    @discardableResult
    private func runPendingStatement(_ interrupts: InterruptMonitor?) -> REPLResult {
        let source = pendingLines.joined(separator: "\n")
        pendingLines = []
        // A statement typed over several lines (a `for` loop, a pipeline continued after `|`)
        // is recalled as one entry, so Up brings back the whole statement.
        historyReader?.recordHistory(source)
        lastStatement = source
        return execute(source, origin: "<repl>", interrupts)
    }

    @discardableResult
    private func execute(_ source: String, origin: String, _ interrupts: InterruptMonitor?) -> REPLResult {
        let result: REPLResult
        if let interrupts {
            result = interrupts.whileExecuting(session) {
                session.execute(source, origin: origin, output: output)
            }
        } else {
            result = session.execute(source, origin: origin, output: output)
        }
        summary.record(result)
        if result == .interrupted { output.writeErrorLine("interrupted") }
        return result
    }

    private func completions(for context: CompletionContext) -> [String] {
        session.completions(for: CompletionContext(
            line: context.line, textBeforeCursor: context.textBeforeCursor, word: context.word,
            pendingStatement: pendingLines.joined(separator: "\n")))
    }

    // MARK: - Meta-commands

    private func perform(_ command: MetaCommand, _ interrupts: InterruptMonitor?) -> Step {
        switch command {
        case .quit:
            return .stop
        case .help(let topic):
            let text = session.help(topic)
            output.write(text.hasSuffix("\n") || text.isEmpty ? text : text + "\n")
            if topic == nil { output.writeLine("\n" + MetaCommand.summary) }
        case .variables:
            let variables = session.variables()
            if variables.isEmpty {
                output.writeLine("no variables yet; `let name = …` defines one.")
            } else {
                let width = variables.map(\.name.count).max() ?? 0
                for variable in variables {
                    let padding = String(repeating: " ", count: width - variable.name.count)
                    output.writeLine("\(variable.name)\(padding)  \(variable.summary)")
                }
            }
        case .load(let path):
            guard let source = REPL.readTextFile(path) else {
                output.writeErrorLine("cannot read `\(path)`; check the path (relative to \(REPL.currentDirectory())).")
                summary.record(.failed)
                return .proceed
            }
            if execute(source, origin: path, interrupts) == .interrupted { return .interrupted }
        case .estimate(let given):
            guard let source = given ?? lastStatement else {
                output.writeErrorLine("nothing to estimate yet; give a statement, e.g. `:estimate attack pgd | purify t=100 | classify`.")
                return .proceed
            }
            output.writeLine(session.estimate(source))
        case .reset:
            session.reset()
            output.writeLine("session reset: variables, definitions and settings are back to their defaults.")
        case .invalid(let message):
            output.writeErrorLine(message)
        }
        return .proceed
    }

    // MARK: - Files

    static func readTextFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytes.append(contentsOf: chunk[..<count])
            if count < chunk.count { break }
        }
        guard ferror(file) == 0 else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "the current directory" }
        return String(cString: buffer)
    }
}

// MARK: - Summary

/// How the statements of one REPL run went.
public struct REPLSummary: Equatable, Sendable {
    /// Statements (and `:load`ed files) that ran to the end.
    public private(set) var completed = 0
    /// Statements that failed, including `:load` of an unreadable file.
    public private(set) var failed = 0
    /// Statements stopped with Ctrl-C.
    public private(set) var interrupted = 0

    /// True when nothing failed or was interrupted: the exit status of a script run.
    public var succeeded: Bool { failed == 0 && interrupted == 0 }

    mutating func record(_ result: REPLResult) {
        switch result {
        case .completed: completed += 1
        case .failed: failed += 1
        case .interrupted: interrupted += 1
        }
    }
}
