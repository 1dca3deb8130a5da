import Testing
@testable import DPLLang
import DPLLangTestSupport

/// The checker frees what it built once it is gone. Each checked `def` used to keep its scope
/// alive forever (scope → definition → scope), which LeakSanitizer reported from the fuzz
/// harness (Fuzz/Sources/fuzz-lang) for every script with a `def`.
@Suite struct CheckerLeakTests {
    private func checker() -> Checker {
        Checker(registry: makeTestRegistry(), settings: .standard, loader: memoryLoader([:]))
    }

    private func program(_ text: String) -> Program {
        Parser.parse(SourceFile(name: "/scripts/main.dpl", text: text)).program
    }

    @Test func aScopeWithADefIsFreedWithTheChecker() {
        weak var freed: CheckScope?
        do {
            let scope = CheckScope()
            freed = scope
            let checker = checker()
            checker.check(program("def defend(t=10) = purify t=t\nload mnist | defend(t=5) | classify\n"), scope: scope)
            #expect(checker.diagnostics.isEmpty, "\(checker.diagnostics)")
            #expect(freed != nil)
        }
        #expect(freed == nil, "the script's scope outlived its checker")
    }

    @Test func aLoopBodyScopeWithADefIsFreedWithTheChecker() {
        weak var freed: CheckScope?
        do {
            let scope = CheckScope()
            freed = scope
            let checker = checker()
            checker.check(program("for t in [5, 10] {\n  def defend = purify t=t\n  load mnist | defend | classify\n}\n"), scope: scope)
            #expect(checker.diagnostics.isEmpty, "\(checker.diagnostics)")
        }
        #expect(freed == nil, "the script's scope outlived its checker")
    }

    @Test func aCheckerOfASessionStatementIsFreed() {
        weak var freed: Checker?
        do {
            let checker = checker()
            freed = checker
            let diagnostics = checker.check(program("def defend = purify t=10\nload mnist | defend | classify\n"), environment: Environment())
            #expect(diagnostics.isEmpty, "\(diagnostics)")
        }
        #expect(freed == nil, "the checker outlived its last use")
    }
}
