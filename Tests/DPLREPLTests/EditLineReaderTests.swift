import Foundation
import Testing

/// The REPL on a real (pseudo-)terminal: libedit editing, TAB completion, history recall and
/// its file, Ctrl-C at the prompt and while a statement runs, multi-line prompts, Ctrl-D.
/// The REPL runs in `dpl-repl-fixture`, a child process whose controlling terminal is the
/// pseudo-terminal, so a typed Ctrl-C really becomes SIGINT.
@Suite("REPL on a pseudo-terminal")
struct EditLineReaderTests {
    static let up = "\u{1b}[A"
    static let controlC = "\u{3}"
    static let controlD = "\u{4}"

    /// The fixture sits next to the test bundle in the build directory.
    static var fixturePath: String {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("dpl-repl-fixture").path
    }

    static func startFixture(home: URL) throws -> PseudoTerminalProcess {
        try PseudoTerminalProcess(executable: fixturePath, environment: [
            "TERM": "xterm",
            "HOME": home.path,
            "DPL_HISTORY": home.appendingPathComponent("history").path,
            "LANG": "C.UTF-8",
            "PATH": "/usr/bin:/bin",
        ])
    }

    @Test("a terminal session: line, TAB, Up, Ctrl-C, multi-line, Ctrl-D, history file")
    func terminalSession() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-repl-pty-\(UUID())")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }

        let terminal = try Self.startFixture(home: home)
        try terminal.expect("fixture REPL")
        try terminal.expect("dpl> ")

        // A plain line.
        terminal.send("let x = 1\r")
        let echo = try terminal.expect("ran: let x = 1")
        // Echoed once, by libedit: the terminal was already raw when the prompt appeared.
        #expect(echo.components(separatedBy: "let x = 1").count == 2, "echo: \(echo.debugDescription)")
        try terminal.expect("dpl> ")

        // TAB completes a stage name offered by the session, and a single match gets a space.
        terminal.send("pur\t")
        try terminal.expect("ify")
        terminal.send("x\r")
        try terminal.expect("ran: purify x")
        try terminal.expect("dpl> ")

        // Up recalls the previous line.
        terminal.send("report first\r")
        try terminal.expect("ran: report first")
        try terminal.expect("dpl> ")
        terminal.send(Self.up + "\r")
        try terminal.expect("ran: report first")
        try terminal.expect("dpl> ")

        // Ctrl-C at the prompt drops what was typed and gives a fresh prompt.
        terminal.send("classify half")
        try terminal.expect("classify half")
        terminal.send(Self.controlC)
        try terminal.expect("dpl> ")
        terminal.send("report\r")
        let beforeReport = try terminal.expect("ran: report")
        #expect(!beforeReport.contains("ran: classify half"))
        try terminal.expect("dpl> ")

        // Ctrl-C while a statement runs interrupts it; the session keeps its variables.
        terminal.send("sleep\r")
        try terminal.expect("sleeping")
        terminal.send(Self.controlC)
        try terminal.expect("interrupted")
        try terminal.expect("dpl> ")
        terminal.send(":vars\r")
        try terminal.expect("x  1")
        try terminal.expect("dpl> ")

        // An open pipeline continues on the next line under the continuation prompt.
        terminal.send("attack |\r")
        try terminal.expect("...> ")
        terminal.send("classify\r")
        try terminal.expect("ran: attack | \\n classify")
        try terminal.expect("dpl> ")
        // Up recalls the whole statement as one entry, not its last line.
        terminal.send(Self.up + "\r")
        try terminal.expect("ran: attack | \\n classify")
        try terminal.expect("dpl> ")

        // Ctrl-C under the continuation prompt drops the whole unfinished statement.
        terminal.send("attack |\r")
        try terminal.expect("...> ")
        terminal.send(Self.controlC)
        try terminal.expect("dpl> ")
        terminal.send("report again\r")
        let afterCancel = try terminal.expect("ran: report again")
        #expect(!afterCancel.contains("ran: attack"))
        try terminal.expect("dpl> ")
        terminal.send("report final\r")
        try terminal.expect("ran: report final")
        try terminal.expect("dpl> ")

        // Ctrl-D leaves; the interrupted statement makes the exit status 1.
        terminal.send(Self.controlD)
        let status = terminal.waitForExit()
        #expect(status == 1, "exit after Ctrl-D; transcript: \(terminal.fullTranscript.debugDescription)")

        let history = try String(contentsOf: home.appendingPathComponent("history"), encoding: .utf8)
        #expect(history.contains("report\\040first"))
        #expect(history.contains("purify"))
        #expect(!history.contains("classify\\040half"))
        #expect(history.contains("attack\\040|\\012classify"), "one entry for the two-line statement: \(history)")

        // The next session recalls the last line of the previous one.
        let second = try Self.startFixture(home: home)
        try second.expect("dpl> ")
        second.send(Self.up + "\r")
        try second.expect("ran: report final")
        try second.expect("dpl> ")
        second.send(":quit\r")
        #expect(second.waitForExit() == 0)
    }

    @Test("TAB lists several candidates and completes their common prefix")
    func ambiguousCompletion() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-repl-pty-\(UUID())")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }

        let terminal = try Self.startFixture(home: home)
        try terminal.expect("dpl> ")
        // `a` matches only `attack`; after `let abc = 2`, it matches `abc` and `attack`.
        terminal.send("let abc = 2\r")
        try terminal.expect("ran: let abc = 2")
        try terminal.expect("dpl> ")
        terminal.send("a\t\t")
        try terminal.expect("abc")
        try terminal.expect("attack")
        terminal.send("t\t\r")
        try terminal.expect("ran: attack")
        try terminal.expect("dpl> ")

        // The session sees the text before the cursor, so it can offer the parameters of the
        // stage being written; `key=` gets no space after it.
        terminal.send("purify se\t")
        try terminal.expect("ed=")
        terminal.send("fixed\r")
        try terminal.expect("ran: purify seed=fixed")
        try terminal.expect("dpl> ")
        terminal.send(":quit\r")
        #expect(terminal.waitForExit() == 0)
    }
}
