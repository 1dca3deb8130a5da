import Foundation
import Testing
import DPLCommandLine
import DPLLang
@testable import DPLRuntime

/// The code in README.md and docs/tutorial.md still works: the docs are tested like code.
///
/// What each fenced block means to this test:
/// - ` ```dpl ` — DPL source. It must parse and check against the built-in registry, and it is
///   run through a real `Session` and must succeed.
/// - ` ```dpl-repl ` — a REPL transcript. The statements typed after `dpl> ` (and continued
///   after `...> `) are collected, meta-commands (`:help`, …) left out; all transcripts of a file
///   form one session, so they are checked together, in order, as one script. Transcripts are
///   never run here: they show a session that takes minutes and a Ctrl-C.
/// - ` ```console ` — shell commands after `$ `, each followed by the output it printed.
///   `dpl help …`, `dpl check …` and `dpl fmt --check …` (also spelled `.build/release/dpl`)
///   run through `Driver` and must exit 0; the output shown under `dpl help` and `dpl check`
///   must match exactly (they are deterministic). Other commands (`dpl run`, builds) are
///   not run; their output is an example recorded from the real binary.
/// - ` ```sh ` — commands without output; the `dpl help/check/fmt` lines among them run and
///   must exit 0.
///
/// An HTML comment on the line before a block changes what happens to it:
/// - `<!-- docs-test: check-only -->` — a `dpl` block is checked but not run (for anything
///   that takes more than a few seconds, such as the quickstart's attacks).
/// - `<!-- docs-test: fails -->` — the block demonstrates a mistake: checking (for `dpl`
///   and `dpl-repl`, after the file's earlier transcripts) must report an error.
@Suite("documentation")
struct DocumentationTests {
    static let root = BuiltinStagesTests.packageRoot

    // MARK: - Reading the blocks

    /// One fenced code block of a Markdown file.
    struct CodeBlock: CustomStringConvertible {
        let file: String
        let line: Int
        let language: String
        let marker: String?
        let text: String
        var description: String { "\(file):\(line) (```\(language))" }
    }

    static func blocks(in file: String) throws -> [CodeBlock] {
        let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        var blocks: [CodeBlock] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("```") else { index += 1; continue }
            let language = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
            let previous = index > 0 ? lines[index - 1].trimmingCharacters(in: .whitespaces) : ""
            let marker = previous.hasPrefix("<!-- docs-test:")
                ? previous.dropFirst("<!-- docs-test:".count).replacingOccurrences(of: "-->", with: "").trimmingCharacters(in: .whitespaces)
                : nil
            var body: [String] = []
            index += 1
            while index < lines.count, !lines[index].hasPrefix("```") {
                body.append(lines[index])
                index += 1
            }
            blocks.append(CodeBlock(file: file, line: index - body.count, language: language, marker: marker,
                                    text: body.joined(separator: "\n")))
            index += 1
        }
        return blocks
    }

    /// The statements typed in a transcript: `dpl> ` lines and their `...> ` continuations.
    static func typedStatements(_ transcript: String) -> String {
        var typed: [String] = []
        for line in transcript.components(separatedBy: "\n") {
            if line.hasPrefix("dpl> ") {
                let input = String(line.dropFirst(5))
                if !input.hasPrefix(":") { typed.append(input) }
            } else if line.hasPrefix("...> ") {
                typed.append(String(line.dropFirst(5)))
            }
        }
        return typed.joined(separator: "\n")
    }

    static let documents = ["README.md", "docs/tutorial.md"]

    static func makeSession(_ output: @escaping (String) -> Void = { _ in }) throws -> Session {
        Session(registry: try BuiltinStages.makeRegistry(), output: output)
    }

    // MARK: - DPL blocks

    @Test(arguments: documents)
    func dplBlocksCheckAndRun(file: String) throws {
        let blocks = try Self.blocks(in: file).filter { $0.language == "dpl" }
        for block in blocks {
            let source = SourceFile(name: Self.root.appendingPathComponent(file).path, text: block.text + "\n")
            let checked = try Self.makeSession().check(source)
            if block.marker == "fails" {
                #expect(checked.errorText != nil, "\(block) is marked as failing but checks")
                continue
            }
            #expect(checked.errorText == nil, "\(block): \(checked.errorText ?? "")")
            guard block.marker != "check-only", checked.errorText == nil else { continue }
            let ran = try Self.makeSession().run(source)
            #expect(ran.errorText == nil, "\(block) failed when run: \(ran.errorText ?? "")")
        }
    }

    @Test(arguments: documents)
    func transcriptsCheckAsOneSession(file: String) throws {
        var script = ""
        for block in try Self.blocks(in: file) where block.language == "dpl-repl" {
            let typed = Self.typedStatements(block.text)
            let candidate = script + typed + "\n"
            let checked = try Self.makeSession().check(SourceFile(name: Self.root.appendingPathComponent(file).path, text: candidate))
            if block.marker == "fails" {
                #expect(checked.errorText != nil, "\(block) is marked as failing but checks")
                continue   // a mistake shown in the docs does not enter the session
            }
            #expect(checked.errorText == nil, "\(block): \(checked.errorText ?? "")")
            script = candidate
        }
    }

    /// `dpl> :help STAGE` in a transcript is followed by exactly what `Help.stage` prints.
    @Test(arguments: documents)
    func helpInTranscriptsIsCurrent(file: String) throws {
        let registry = try BuiltinStages.makeRegistry()
        for block in try Self.blocks(in: file) where block.language == "dpl-repl" {
            let lines = block.text.components(separatedBy: "\n")
            for (index, line) in lines.enumerated() where line.hasPrefix("dpl> :help ") {
                let stage = String(line.dropFirst("dpl> :help ".count)).trimmingCharacters(in: .whitespaces)
                let shown = lines[(index + 1)...].prefix { !$0.hasPrefix("dpl>") }.joined(separator: "\n")
                #expect(shown.trimmingCharacters(in: .newlines) == Help.stage(named: stage, registry: registry).text
                            .trimmingCharacters(in: .newlines),
                        "\(block): the help for `\(stage)` changed; paste the new text into \(file)")
            }
        }
    }

    // MARK: - Shell blocks

    /// Runs a `dpl help|check|fmt --check` command line through `Driver`; nil for any other
    /// command (not run by this test).
    static func runDriverCommand(_ commandLine: String) throws -> (code: Int32, output: String)? {
        var words = commandLine.split(separator: " ").map(String.init)
        if let comment = words.firstIndex(where: { $0.hasPrefix("#") }) { words = Array(words[..<comment]) }
        guard let program = words.first, program == "dpl" || program.hasSuffix("/dpl"), words.count >= 2 else { return nil }
        var printed: [String] = []
        let driver = Driver(registry: try BuiltinStages.makeRegistry(), output: { printed.append($0) },
                            errors: { printed.append($0) })
        let arguments = Array(words.dropFirst(2))
        let paths = arguments.filter { !$0.hasPrefix("-") }.map { root.appendingPathComponent($0).path }
        let code: Int32
        switch words[1] {
        case "help":
            code = driver.help(stage: arguments.first { !$0.hasPrefix("-") }, markdown: arguments.contains("--markdown"))
        case "check":
            code = driver.check(paths: paths)
        case "fmt" where arguments.contains("--check"):
            code = driver.format(paths: paths, checkOnly: true)
        default:
            return nil
        }
        return (code, printed.joined(separator: "\n"))
    }

    @Test(arguments: documents)
    func consoleCommandsPrintWhatTheDocsShow(file: String) throws {
        for block in try Self.blocks(in: file) where block.language == "console" {
            var commands: [(line: String, shown: [String])] = []
            for line in block.text.components(separatedBy: "\n") {
                if line.hasPrefix("$ ") { commands.append((String(line.dropFirst(2)), [])) } else if !commands.isEmpty { commands[commands.count - 1].shown.append(line) }
            }
            for (line, shown) in commands {
                guard let (code, output) = try Self.runDriverCommand(line) else { continue }
                #expect(code == 0, "\(block): `\(line)` exited with \(code): \(output)")
                let verb = line.split(separator: " ").dropFirst().first
                if verb == "help" || verb == "check" {
                    let expected = shown.joined(separator: "\n").trimmingCharacters(in: .newlines)
                    #expect(output.trimmingCharacters(in: .newlines) == expected,
                            "\(block): the output of `\(line)` changed; paste the new output into \(file)")
                }
            }
        }
    }

    @Test(arguments: documents)
    func shellCommandsRun(file: String) throws {
        for block in try Self.blocks(in: file) where block.language == "sh" {
            for line in block.text.components(separatedBy: "\n") {
                guard let (code, output) = try Self.runDriverCommand(line.trimmingCharacters(in: .whitespaces)) else { continue }
                #expect(code == 0, "\(block): `\(line)` exited with \(code): \(output)")
            }
        }
    }

    // MARK: - The test itself

    @Test func theBlockReaderFindsMarkersAndTranscripts() throws {
        let blocks = try Self.blocks(in: "docs/tutorial.md")
        #expect(blocks.contains { $0.language == "dpl-repl" })
        #expect(Self.typedStatements("dpl> let x = 1\ndpl> :help\nx\ndpl> x |\n...>   report") == "let x = 1\nx |\n  report")
        #expect(try Self.runDriverCommand("swift build -c release") == nil)
        #expect(try Self.runDriverCommand(".build/release/dpl help purify")?.code == 0)
    }
}
