import Testing
@testable import DPLLang
import DPLLangTestSupport

/// One rule binds arguments to parameters for the checker and the interpreter alike.
@Suite struct ArgumentMatchingTests {
    func call(_ source: String) throws -> StageCall {
        let (program, diagnostics) = Parser.parse(SourceFile(name: "t.dpl", text: source))
        #expect(diagnostics.isEmpty)
        guard case .pipeline(let pipeline)? = program.statements.first, case .stage(let call) = pipeline.head else {
            throw FakeFailure(description: "not a stage call: \(source)")
        }
        return call
    }

    @Test func keywordsByLabelAndTheRestByPosition() throws {
        let matching = ArgumentMatching(try call("attack pgd eps=0.1 steps=3"), parameters: ["method", "eps", "steps"], positional: ["method"])
        #expect(matching.problems.isEmpty)
        #expect(matching.bindings.map(\.name) == ["method", "eps", "steps"])
        #expect(matching.bindings.map(\.index) == [0, 1, 2])
    }

    @Test func everyProblemIsFoundWithItsPlace() throws {
        let matching = ArgumentMatching(try call("attack pgd fgsm epz=1 eps=1 eps=2"), parameters: ["method", "eps"], positional: ["method"])
        #expect(matching.problems.map(\.index) == [1, 2, 4])
        #expect(matching.problems[0].message.hasPrefix("stage `attack` takes 1 positional argument (`method`)"))
        #expect(matching.problems[1].message == "unknown parameter `epz` for stage `attack`")
        #expect(matching.problems[1].fix == "did you mean `eps`?")
        #expect(matching.problems[2].message == "parameter `eps` is given twice to `attack`")
        // The interpreter throws the first problem with the same words the checker reports.
        #expect(matching.problems[1].runtimeError.message == "unknown parameter `epz` for stage `attack`; did you mean `eps`?")
    }

    @Test func checkerAndInterpreterAgree() {
        // The checker reports; a statement that reaches the interpreter unchecked (a REPL
        // redefinition) would stop with the same sentence.
        #expect(checkMessages("load d | classify modle=1").first?.contains("unknown parameter `modle` for stage `classify`") == true)
    }
}
