import Foundation
import Testing
import DPLCommandLine
import DPLLang
@testable import DPLRuntime

/// Mistakes a newcomer makes by a typo or a wrong path: each message names the place and the
/// fix, and the ones the checker can see are reported before anything runs.
@Suite("error messages for common mistakes")
struct ErrorMessageTests {
    func checkError(_ source: String) throws -> String {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        return session.check(SourceFile(name: "mistake.dpl", text: source + "\n")).errorText ?? ""
    }

    @Test func epsWrittenInPixelLevels() throws {
        let text = try checkError("load fashion-mnist n=4 | attack pgd eps=8 | classify | report")
        #expect(text.contains("mistake.dpl:1:41: error: parameter `eps` of `attack` must be at most 1, but is 8; pixels are on the [0, 1] scale, so write eps=8/255"))
    }

    @Test func aNumberInQuotes() throws {
        let text = try checkError("load fashion-mnist n=4 | attack pgd eps=\"8/255\" | classify | report")
        #expect(text.contains("expects a number, but got a string; write the number without quotes: `8/255`"))
        #expect(try checkError("set batch = \"32\"").contains("write the number without quotes: `32`"))
        // A string that is no number keeps the plain message.
        #expect(!(try checkError("load fashion-mnist n=\"many\"")).contains("without quotes"))
    }

    @Test func anUndefinedVariableAtTheHead() throws {
        let text = try checkError("data | classify | report")
        #expect(text.contains("unknown stage or variable `data`; define it first with `let data = …`; `:help` in the REPL or `dpl help` lists the stages"))
    }

    @Test func saveWithAFileNameThatSaysNothing() throws {
        #expect(try checkError("results | save \"out.txt\"")
            .contains("parameter `path` of `save` must name a file ending in .safetensors, .npz, .npy, .json, .csv or .png, but `out.txt` ends in .txt"))
        #expect(try checkError("results | save \"runs/out.jsn\"").contains("did you mean `out.json`?"))
        #expect(try checkError("results | save \"out\"").contains("but `out` has no extension"))
        #expect(try checkError("results | save \"OUT.JSON\"").isEmpty)
        #expect(try checkError("for t in [1] { results | save \"t{t}.json\" }").isEmpty)
    }

    @Test func plotWritesSVGOrPNG() throws {
        #expect(try checkError("plot \"figure.pdf\" y=clean_accuracy").contains("must name a file ending in .svg or .png, but `figure.pdf` ends in .pdf"))
    }

    @Test func forLoopValuesWithoutBrackets() throws {
        let text = try checkError("for t in 25, 50 { results }")
        #expect(text.contains("the values of a `for` loop are one list; write them in brackets: `for t in [25, 50, 100] { … }`"))
    }

    @Test func aMisspelledModelNameSuggestsTheShippedOne() throws {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        let outcome = session.run(SourceFile(name: "mistake.dpl", text: "model \"cnn-smal\"\n"))
        #expect(outcome.errorText?.contains("model file `cnn-smal` was not found") == true)
        #expect(outcome.errorText?.contains("did you mean `fmnist-cnn-small`?") == true, "\(outcome.errorText ?? "")")
    }

    @Test func aLabelWithoutQuotes() throws {
        let text = try checkError("for t in [1] { load fashion-mnist n=4 | classify | report as t={t} }")
        #expect(text.contains("the label after `as` is one value; write it in quotes: `as \"t={t}\"`"))
    }

    @Test func aScriptGivenAsAModel() throws {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        let script = BuiltinStagesTests.packageRoot.appendingPathComponent("examples/quickstart.dpl").path
        let outcome = session.run(SourceFile(name: "mistake.dpl", text: "model \"\(script)\"\n"))
        #expect(outcome.errorText?.contains("is not a model file; models are .safetensors files") == true, "\(outcome.errorText ?? "")")
    }

    @Test func aScriptThatIsNotThere() throws {
        var errors: [String] = []
        let driver = Driver(registry: try BuiltinStages.makeRegistry(), output: { _ in }, errors: { errors.append($0) })
        #expect(driver.run(path: "no-such-script.dpl") == ExitStatus.usage)
        #expect(errors.first?.contains("cannot read `no-such-script.dpl` (looked for /") == true)
        #expect(errors.first?.contains("check the path") == true)
    }
}
