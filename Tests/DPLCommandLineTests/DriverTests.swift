import Foundation
import Testing
@testable import DPLCommandLine
import DPLLang
import DPLLangTestSupport

/// The command-line behaviour end to end, through `Driver`, with real files in a temporary folder.
@Suite struct DriverTests {
    final class Capture {
        var output: [String] = []
        var errors: [String] = []
    }

    private func makeDriver(_ capture: Capture) -> Driver {
        Driver(registry: makeTestRegistry(), output: { capture.output.append($0) }, errors: { capture.errors.append($0) })
    }

    private func temporaryFile(_ text: String, name: String = "s.dpl") throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func runExitCodes() throws {
        let capture = Capture()
        let driver = makeDriver(capture)
        #expect(driver.run(path: try temporaryFile("load d n=1 | classify | report")) == 0)
        #expect(capture.output == ["result: d n=1 > classify"])
        #expect(driver.run(path: try temporaryFile("load d | purfy")) == 1)
        #expect(driver.run(path: try temporaryFile("load d | explode")) == 2)
        #expect(driver.run(path: "/nonexistent/x.dpl") == 64)
        #expect(driver.run(path: try temporaryFile("\"x\""), settingAssignments: ["bach=1"]) == 64)
    }

    @Test func runWithSettings() throws {
        let capture = Capture()
        #expect(makeDriver(capture).run(path: try temporaryFile("attack pgd | classify | report"),
                                        settingAssignments: ["data=load d n=3"]) == 0)
        #expect(capture.output == ["result: d n=3 > attack pgd eps=8/255 > classify"])
    }

    @Test func evaluateSource() {
        let capture = Capture()
        #expect(makeDriver(capture).evaluate("1 + 1") == 0)
        #expect(capture.output == ["2"])
    }

    @Test func checkReportsEveryFile() throws {
        let capture = Capture()
        let good = try temporaryFile("load d | classify")
        let bad = try temporaryFile("load d | purfy\nset bach = 2")
        #expect(makeDriver(capture).check(paths: [good, bad]) == 1)
        #expect(capture.errors.count == 1)
        #expect(capture.errors[0].contains("unknown stage `purfy`; did you mean `purify`?"))
        #expect(capture.errors[0].contains("unknown setting `bach`; did you mean `batch`?"))
    }

    @Test func formatAndCheckFormatting() throws {
        let capture = Capture()
        let driver = makeDriver(capture)
        let path = try temporaryFile("load d|classify   # c\n")
        #expect(driver.format(paths: [path], checkOnly: true) == 1)
        #expect(driver.format(paths: [path], checkOnly: false) == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "load d | classify  # c\n")
        #expect(driver.format(paths: [path], checkOnly: true) == 0)
    }

    /// `dpl fmt` through a symbolic link rewrites the file it points to and keeps the link
    /// (issue 17: it replaced the link with a file).
    @Test func formatFollowsASymbolicLink() throws {
        let driver = makeDriver(Capture())
        let path = try temporaryFile("load d|classify\n")
        let link = (path as NSString).deletingLastPathComponent + "/link.dpl"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(driver.format(paths: [link], checkOnly: false) == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "load d | classify\n")
    }

    @Test func help() {
        let capture = Capture()
        let driver = makeDriver(capture)
        #expect(driver.help(stage: nil, markdown: false) == 0)
        #expect(driver.help(stage: "attack", markdown: false) == 0)
        #expect(driver.help(stage: "atack", markdown: false) == 64)
        #expect(capture.errors == ["dpl: unknown stage `atack`; did you mean `attack`?"])
    }

    @Test func checkAndRunRefuseAScriptForANewerDPL() throws {
        let capture = Capture()
        let driver = makeDriver(capture)
        let path = try temporaryFile("require dpl \">= 99.0\"\nload d | classify | report\n", name: "script.dpl")
        #expect(driver.check(paths: [path]) == 1)
        #expect(driver.run(path: path) == 1)
        #expect(capture.output.isEmpty)
        #expect(capture.errors.count == 2)
        for error in capture.errors {
            #expect(error.hasPrefix("\(path):1:1: error: this script requires dpl >= 99.0, but this is dpl \(DPLVersion.current); install a newer DPL"))
        }
    }
}

// MARK: - Untrusted input: real paths for imports (issue 17)

@Suite struct DriverBoundsTests {
    /// A script reached through a symbolic link and through its real path is imported once.
    @Test func symlinkedImportRunsOnce() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "\"common loaded\"\n".write(to: folder.appendingPathComponent("common.dpl"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("link.dpl").path,
                                                   withDestinationPath: "common.dpl")
        let main = folder.appendingPathComponent("main.dpl").path
        try "import \"common.dpl\"\nimport \"link.dpl\"\n".write(toFile: main, atomically: true, encoding: .utf8)
        var output: [String] = []
        let driver = Driver(registry: makeTestRegistry(), output: { output.append($0) }, errors: { _ in })
        #expect(driver.run(path: main) == 0)
        #expect(output == ["common loaded"])
        // A link named .dpl that reaches something else is refused by what it reaches.
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("env.dpl").path,
                                                   withDestinationPath: "/proc/self/environ")
        var errors: [String] = []
        let refusing = Driver(registry: makeTestRegistry(), output: { _ in }, errors: { errors.append($0) })
        let importer = folder.appendingPathComponent("secret.dpl").path
        try "import \"env.dpl\"\n".write(toFile: importer, atomically: true, encoding: .utf8)
        #expect(refusing.check(paths: [importer]) == 1)
        #expect(errors.joined().contains("can only import DPL scripts"))
        #expect(!errors.joined().contains("PATH="))
    }
}
