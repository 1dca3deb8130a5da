import Foundation
import Testing
@testable import DPLLang

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

    @Test func help() {
        let capture = Capture()
        let driver = makeDriver(capture)
        #expect(driver.help(stage: nil, markdown: false) == 0)
        #expect(driver.help(stage: "attack", markdown: false) == 0)
        #expect(driver.help(stage: "atack", markdown: false) == 64)
        #expect(capture.errors == ["dpl: unknown stage `atack`; did you mean `attack`?"])
    }

    @Test func standardInputRunsStatementsAsTheyComplete() {
        let capture = Capture()
        var lines = ["let d = load x n=1", "d", "  | classify", "  | report as \"r\"", "for t in [1,", "2] {", "  t", "}", "nope", "\"still running\""][...]
        let code = makeDriver(capture).runLines { lines.popFirst() }
        #expect(code == 1)
        #expect(capture.output == ["r: x n=1 > classify", "1", "2", "still running"])
        #expect(capture.errors.first?.hasPrefix("<stdin>:9:1: error: unknown stage or variable `nope`") == true)
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
            #expect(error.hasPrefix("\(path):1:1: error: this script requires dpl >= 99.0, but this is dpl \(Driver.version); install a newer DPL"))
        }
    }
}
