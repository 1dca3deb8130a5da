import Testing
@testable import DPLLang
import DPLLangTestSupport

/// Scopes holding a `def` are freed when nothing uses them. A `def` used to hold the scope it
/// was stored in (scope → def → scope), so the session's globals and the scope of every loop
/// iteration with a `def` were never freed: the interpreter's twin of the checker's leak
/// (`CheckerLeakTests`).
@Suite struct InterpreterLeakTests {
    private func interpreter() -> Interpreter {
        Interpreter(registry: makeTestRegistry(), settings: .standard, loader: memoryLoader([:]),
                    cancellation: Cancellation(), output: { _ in })
    }

    private func program(_ text: String) -> Program {
        Parser.parse(SourceFile(name: "/scripts/main.dpl", text: text)).program
    }

    @Test func globalsWithADefAreFreedWithTheInterpreter() throws {
        weak var freed: Environment?
        do {
            let interpreter = interpreter()
            freed = interpreter.globals
            try interpreter.execute(program("def defend(t=10) = purify t=t\nload mnist | defend(t=5) | classify\n"))
            #expect(freed != nil)
        }
        #expect(freed == nil, "the globals outlived their interpreter")
    }

    @Test func aDefStillSeesItsScopeWhenCalled() throws {
        var lines: [String] = []
        let interpreter = Interpreter(registry: makeTestRegistry(), settings: .standard, loader: memoryLoader([:]),
                                      cancellation: Cancellation(), output: { lines.append($0) })
        try interpreter.execute(program("for t in [5, 10] {\n  def defend = purify t=t\n  load mnist | defend | classify\n}\n"))
        #expect(lines.count == 2)
        #expect(lines.first?.contains("purify t=5") == true, "\(lines)")
        #expect(lines.last?.contains("purify t=10") == true, "\(lines)")
    }
}
