import Foundation
import Testing
@testable import DPLCommandLine

/// The built `dpl` executable itself, for what lives in its argument parsing: every command's
/// help, the man page and the shell completion scripts. The executable is built with the tests
/// (`swift build --build-tests`) and sits beside the test bundle.
@Suite struct ExecutableTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `dpl` beside the running test bundle.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dpl").path
    }

    /// Runs `dpl arguments…`; its exit status and standard output.
    static func dpl(_ arguments: String...) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The commands `dpl --help` lists under SUBCOMMANDS.
    static func subcommands() throws -> [String] {
        let help = try dpl("--help").output
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        // The list ends at the first blank line (a "See 'dpl help …'" line follows it).
        let section = help[start.upperBound...].components(separatedBy: "\n\n").first ?? ""
        return section.split(separator: "\n").compactMap { line in
            // Entries are indented two spaces; wrapped abstracts are indented further.
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }
    }

    @Test func theExecutableWasBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.executable),
                "build it with the tests: swift build -c release --build-tests --scratch-path .build-tests")
    }

    @Test func helpAnswersForEveryCommand() throws {
        let commands = try Self.subcommands()
        #expect(Set(commands).isSuperset(of: ["run", "estimate", "check", "fmt", "help", "merge", "verify", "pack", "submit"]), "\(commands)")
        for command in commands {
            let (status, output) = try Self.dpl("help", command)
            #expect(status == 0, "dpl help \(command) exited with \(status)")
            #expect(output.hasPrefix("OVERVIEW:"), "dpl help \(command): \(output.prefix(80))")
            #expect(output.contains("USAGE: dpl \(command)"), "dpl help \(command) shows another command's help")
        }
    }

    @Test func theCommittedManPageIsWhatTheCommandGenerates() throws {
        let committed = try String(contentsOf: Self.packageRoot.appendingPathComponent("docs/dpl.1"), encoding: .utf8)
        let (status, generated) = try Self.dpl("help", "--man")
        #expect(status == 0)
        #expect(committed == generated, "docs/dpl.1 is stale; regenerate it with `.build/release/dpl help --man > docs/dpl.1`")
        for command in try Self.subcommands() { #expect(generated.contains(".SS \"dpl \(command)\""), "\(command) has no section") }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsKnowEveryCommand(shell: String) throws {
        let (status, script) = try Self.dpl("--generate-completion-script", shell)
        #expect(status == 0)
        for command in try Self.subcommands() { #expect(script.contains(command), "the \(shell) completion lacks \(command)") }
    }

    @Test func manPageTextIsEscapedForRoff() {
        #expect(ManualPage.escape("--smoke a\\b") == "\\-\\-smoke a\\eb")
        #expect(ManualPage.escapeLine(".hidden request") == "\\&.hidden request")
        #expect(ManualPage.escapeLine("'quote") == "\\&'quote")
    }
}
