import Foundation
import Testing
@testable import DPLLang
import DPLLangTestSupport

@Suite struct HelpTests {
    @Test func stageHelpListsParameters() {
        let text = Help.stage(named: "purify", registry: makeTestRegistry()).text
        #expect(text.hasPrefix("purify [t=integer] [seed=fixed|random or integer] [sampler=ddpm|ddim|sde]"))
        #expect(text.contains("t=integer  (default 100, range 1…1000)"))
        #expect(Help.stage(named: "purfy", registry: makeTestRegistry()).text == "unknown stage `purfy`; did you mean `purify`?")
    }

    @Test func markdownListsEveryStage() {
        let markdown = Help.markdown(registry: makeTestRegistry())
        for name in makeTestRegistry().stageNames { #expect(markdown.contains("### `\(name)`")) }
        #expect(markdown.contains("| `eps` | number | `0.03137254901960784` | 0…1 | L-infinity budget. |"))
    }

    @Test func registryRejectsDuplicatesAndBadPositionals() {
        var registry = StageRegistry()
        let signature = StageSignature(name: "x", doc: "d", input: .nothing, output: .any)
        #expect(throws: StageRegistry.RegistrationError.self) {
            try registry.register(signature) { _, _, _, _ in .none }
            try registry.register(signature) { _, _, _, _ in .none }
        }
        #expect(throws: StageRegistry.RegistrationError.self) {
            try registry.register(StageSignature(name: "y", doc: "d", input: .nothing, output: .any, positional: ["p"])) { _, _, _, _ in .none }
        }
    }

    @Test func suggestions() {
        #expect(Suggestion.closest(to: "purfy", among: ["purify", "classify"]) == "purify")
        #expect(Suggestion.closest(to: "xyz", among: ["purify"]) == nil)
        #expect(Suggestion.editDistance("pruify", "purify") == 1)
    }

    @Test func diagnosticRendering() {
        let source = SourceFile(name: "a.dpl", text: "load x\n\tattack pgd | purfy t=1\n")
        let diagnostic = Diagnostic("unknown stage `purfy`", at: SourceSpan(file: "a.dpl", line: 2, column: 15, length: 5),
                                    fix: "did you mean `purify`?")
        #expect(diagnostic.rendered(in: source) == """
        a.dpl:2:15: error: unknown stage `purfy`; did you mean `purify`?
          \tattack pgd | purfy t=1
          \t             ^~~~~
        """)
    }
}
