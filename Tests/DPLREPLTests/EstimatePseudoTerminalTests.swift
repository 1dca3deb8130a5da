import Foundation
import Testing

/// `:estimate` in the real `dpl` REPL on a pseudo-terminal: before anything ran it says what
/// to give; with a statement it predicts that statement in the session's variables; alone it
/// predicts the last statement run. The counts are exact (PGD-2 on 4 images: 4 × 5 forward,
/// 4 × 2 backward passes), the seconds depend on the machine and are not compared.
@Suite("REPL :estimate on a pseudo-terminal")
struct EstimatePseudoTerminalTests {
    /// `dpl` is built beside the test bundle (`swift build --build-tests` builds every product).
    static var dplPath: String {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("dpl").path
    }

    @Test func estimateBeforeAndAfterRunningAStatement() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.dplPath),
                     "\(Self.dplPath) is missing: build with `swift build --build-tests`, which builds `dpl` beside the tests")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-estimate-pty-\(UUID())")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let terminal = try PseudoTerminalProcess(executable: Self.dplPath, environment: [
            "TERM": "xterm", "HOME": home.path, "DPL_HISTORY": home.appendingPathComponent("history").path,
            "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin",
        ])
        try terminal.expect("dpl> ", timeout: 60)

        terminal.send(":estimate\r")
        try terminal.expect("nothing to estimate yet; give a statement, e.g. `:estimate attack pgd | purify t=100 | classify`.")
        try terminal.expect("dpl> ")

        terminal.send("let data = load fashion-mnist split=test n=4\r")
        try terminal.expect("dpl> ", timeout: 60)
        // A statement not run yet, in the session's variables: nothing is attacked.
        terminal.send(":estimate data | attack pgd eps=8/255 steps=2 | classify\r")
        let table = try terminal.expect("dpl> ", timeout: 120)
        let row = table.split(whereSeparator: \.isNewline).first { $0.hasPrefix("<repl>:1  attack pgd steps=2") }.map(String.init) ?? ""
        #expect(row.split(separator: " ", omittingEmptySubsequences: true).prefix(10).map(String.init)
                == ["<repl>:1", "attack", "pgd", "steps=2", "4", "1", "fmnist-cnn-small.safetensors", "20", "8", "1.7"], "\(table)")
        #expect(table.contains("predicted run time: "), "\(table)")
        #expect(table.contains("measured on this machine:"))
        #expect(!table.contains("robust"), "an estimate runs nothing")

        // Alone, it predicts the last statement run.
        terminal.send("data | classify | report\r")
        try terminal.expect("accuracy", timeout: 120)
        try terminal.expect("dpl> ")
        terminal.send(":estimate\r")
        let last = try terminal.expect("dpl> ", timeout: 120)
        #expect(last.contains("<repl>:1  classify       4        1  fmnist-cnn-small.safetensors        4         0"), "\(last)")

        terminal.send("\u{4}")
        #expect(terminal.waitForExit(timeout: 30) == 0)
    }
}
