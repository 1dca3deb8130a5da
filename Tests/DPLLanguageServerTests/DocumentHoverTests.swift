import DPLLang
import DPLRuntime
import Testing
@testable import DPLLanguageServer

/// Hover shows `dpl help`'s text for the stage, parameter or setting under the cursor.
@Suite struct DocumentHoverTests {
    static let text = "let s = \"🎉\"; load fashion-mnist n=16 | purify t=100 | classify\nset batch = 8\n# purify\n"

    static func hover(line: Int, character: Int, markdown: Bool = false) throws -> JSON {
        let client = try TestClient()
        client.initialize(capabilities: markdown ? ["textDocument": ["hover": ["contentFormat": ["markdown", "plaintext"]]]] : [:])
        _ = client.open("file:///tmp/hover.dpl", text)
        return client.request("textDocument/hover", ["textDocument": ["uri": "file:///tmp/hover.dpl"],
                                                     "position": TestClient.position(line, character)])["result"] ?? .null
    }

    @Test func aStageShowsItsHelp() throws {
        let registry = try BuiltinStages.makeRegistry()
        let signature = try #require(registry.signature(named: "purify"))
        // `purify` starts at UTF-16 character 40 (🎉 counts 2); hover its middle.
        let hover = try Self.hover(line: 0, character: 42)
        #expect(hover["contents"]?["kind"] == "plaintext")
        #expect(hover["contents"]?["value"]?.stringValue == Help.stage(signature))
        #expect(hover["contents"]?["value"]?.stringValue == Help.stage(named: "purify", registry: registry).text)
        #expect(TestClient.range(hover["range"]) == [0, 40, 0, 46])
    }

    @Test func aParameterShowsItsLineOfTheStagesHelp() throws {
        let registry = try BuiltinStages.makeRegistry()
        let signature = try #require(registry.signature(named: "purify"))
        let parameter = try #require(signature.parameters.first { $0.name == "t" })
        let hover = try Self.hover(line: 0, character: 47, markdown: true)
        #expect(hover["contents"]?["kind"] == "markdown")
        let value = try #require(hover["contents"]?["value"]?.stringValue)
        #expect(value == "```text\npurify " + Help.parameter(parameter, positional: signature.positional) + "\n```")
        // The same two lines `dpl help purify` lists under Parameters.
        #expect(Help.stage(signature).contains("  " + Help.parameter(parameter).replacingOccurrences(of: "\n", with: "\n  ")))
    }

    @Test func aSettingShowsItsDoc() throws {
        let hover = try Self.hover(line: 1, character: 5)
        let setting = try #require(SettingsRegistry.standard.definition("batch"))
        #expect(hover["contents"]?["value"]?.stringValue == "set " + Help.parameter(setting))
    }

    @Test func aDefOfTheScriptShowsItsLines() throws {
        let client = try TestClient()
        client.initialize()
        let text = "def purify(t=10) = classify\nload fashion-mnist n=4 | purify | report\n"
        _ = client.open("file:///tmp/def.dpl", text)
        let hover = client.request("textDocument/hover", ["textDocument": ["uri": "file:///tmp/def.dpl"],
                                                          "position": TestClient.position(1, 27)])["result"]
        #expect(hover?["contents"]?["value"] == "def purify(t=10) = classify\n  (a `def` of this script, line 1)")
        #expect(TestClient.range(hover?["range"]) == [1, 25, 1, 31])
    }

    @Test func nothingOverValuesCommentsOrSpace() throws {
        #expect(try Self.hover(line: 0, character: 50) == .null)  // `100`
        #expect(try Self.hover(line: 2, character: 3) == .null)   // `# purify`
        #expect(try Self.hover(line: 0, character: 3) == .null)   // `let` … ` s`
    }
}
