import Testing
@testable import DPLLang
import DPLLangTestSupport

/// TAB at the REPL (issue 14): values of a parameter, the positional choice, and no parameter
/// offered twice.
@Suite struct CompletionTests {
    let session = Session(registry: makeTestRegistry()) { _ in }

    func complete(_ line: String) -> [String] {
        let word = line.hasSuffix(" ") ? "" : String(line.split(separator: " ").last ?? "")
        return session.completions(before: line, word: word)
    }

    @Test func aParameterValueCompletesFromItsChoices() {
        #expect(complete("load d | purify sampler=d") == ["sampler=ddim", "sampler=ddpm"])
        #expect(complete("load d | purify seed=") == ["seed=fixed", "seed=random"])
        // The REPL breaks words at `=`: the word is what follows it.
        #expect(session.completions(before: "load d | purify sampler=d", word: "d") == ["ddim", "ddpm"])
        #expect(session.completions(before: "load d | purify seed=", word: "") == ["fixed", "random"])
    }

    @Test func thePositionalArgumentCompletesFromItsChoices() {
        #expect(complete("attack ").contains("pgd") && complete("attack ").contains("eps="))
        #expect(complete("attack a") == ["apgd"])
        #expect(!complete("attack pgd ").contains("fgsm"), "the method is already given")
    }

    @Test func givenParametersAreNotOfferedAgain() {
        let offered = complete("load d | purify t=50 ")
        #expect(offered.contains("sampler=") && !offered.contains("t="))
        #expect(!complete("attack pgd ").contains("method="))
    }

    @Test func firstWordsAndSettings() {
        #expect(complete("pur") == ["purify"])
        #expect(complete("set ").isEmpty == false)
    }

    @Test func aVocabularyNotFromASessionSuppliesItsOwnNames() {
        // What the language server passes: the registry plus a document's `let`s and `def`s.
        let vocabulary = CompletionVocabulary(registry: makeTestRegistry(), stageNames: ["mine", "purify"], variableNames: ["data"],
                                              settingNames: ["batch"], parameterNames: { $0 == "mine" ? ["strength"] : [] })
        #expect(vocabulary.completions(before: "data | mi", word: "mi") == ["mine"])
        #expect(vocabulary.completions(before: "data | mine s", word: "s") == ["strength="])
        #expect(vocabulary.completions(before: "set b", word: "b") == ["batch"])
        #expect(vocabulary.completions(before: "d", word: "d") == ["data", "def"])
    }
}
