import Foundation
import Testing
@testable import DPLLang
import DPLLangTestSupport

@Suite struct ParserTests {
    private func parse(_ text: String) -> Program {
        let (program, diagnostics) = Parser.parse(SourceFile(name: "t.dpl", text: text))
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        return program
    }

    @Test func pipelineWithArguments() throws {
        let program = parse("attack pgd eps=8/255 | purify t=100 seed=fixed | classify")
        guard case .pipeline(let pipeline) = try #require(program.statements.first) else {
            Issue.record("expected a pipeline")
            return
        }
        #expect(pipeline.allStages.map(\.name) == ["attack", "purify", "classify"])
        let attack = pipeline.allStages[0]
        #expect(attack.arguments.map(\.label) == [nil, "eps"])
        guard case .binary(.divide, _, _) = attack.arguments[1].value.kind else {
            Issue.record("eps should be a division")
            return
        }
    }

    @Test func hyphenatedNamesJoinOnlyWithoutSpaces() throws {
        let program = parse("load fashion-mnist model=resnet-18\nlet y = t - 1")
        guard case .pipeline(let pipeline) = program.statements[0], case .stage(let load) = pipeline.head else {
            Issue.record("expected a stage")
            return
        }
        guard case .name("fashion-mnist") = load.arguments[0].value.kind,
              case .name("resnet-18") = load.arguments[1].value.kind else {
            Issue.record("expected names, got \(load.arguments)")
            return
        }
        guard case .letBinding(let binding) = program.statements[1],
              case .expression(let value) = binding.value.head, case .binary(.subtract, _, _) = value.kind else {
            Issue.record("`t - 1` should be a subtraction")
            return
        }
    }

    @Test func continuationLines() {
        let program = parse("load x |\n  purify\n  | classify\n\n  | report\nload y")
        #expect(program.statements.count == 2)
        guard case .pipeline(let pipeline) = program.statements[0] else { return }
        #expect(pipeline.allStages.map(\.name) == ["load", "purify", "classify", "report"])
        #expect(pipeline.span.endLine == 5)
    }

    @Test func statementsOfEveryKind() {
        let program = parse("""
        let data = load fashion-mnist split=test n=512
        set batch = 64
        def diffpure(t=100, seed=random) = purify t=t seed=seed sampler=sde
        for t in [25, 50] {
          data | attack pgd | diffpure t=t | classify | report as "t={t}"
        }
        import "common.dpl"
        """)
        #expect(program.statements.count == 5)
        guard case .loop(let loop) = program.statements[3] else { return }
        #expect(loop.body.count == 1)
        guard case .pipeline(let inner) = loop.body[0], let report = inner.stages.last else { return }
        #expect(report.arguments.first?.label == "as")
        #expect(report.arguments.first?.writtenWithAs == true)
        guard case .string(let literal) = report.arguments[0].value.kind else { return }
        #expect(literal.parts.count == 2)
    }

    @Test func headExpressions() {
        let program = parse("8/255\nx * 2\n[1, 2]\n-3\n\"s\"")
        for statement in program.statements {
            guard case .pipeline(let pipeline) = statement, case .expression = pipeline.head else {
                Issue.record("expected an expression head in \(statement)")
                continue
            }
        }
    }

    @Test func operatorPrecedence() {
        let program = parse("1 + 2*3 - -4")
        guard case .pipeline(let pipeline) = program.statements[0], case .expression(let expression) = pipeline.head,
              case .binary(.subtract, let left, let right) = expression.kind,
              case .binary(.add, _, let product) = left.kind, case .binary(.multiply, _, _) = product.kind,
              case .negate = right.kind else {
            Issue.record("wrong tree")
            return
        }
    }

    @Test func stringEscapesAndInterpolation() {
        let program = parse(#"report as "a\tb \{x\} {name}""#)
        guard case .pipeline(let pipeline) = program.statements[0], case .stage(let call) = pipeline.head,
              case .string(let literal) = call.arguments[0].value.kind else { return }
        guard case .text(let text) = literal.parts[0], case .interpolation(let name, let span) = literal.parts[1] else {
            Issue.record("wrong parts \(literal.parts)")
            return
        }
        #expect(text == "a\tb {x} ")
        #expect(name == "name")
        #expect(span.column == 24)
    }

    // MARK: Malformed input

    @Test func emptyAndBlankFiles() {
        #expect(parse("").statements.isEmpty)
        #expect(parse("\n\n# only a comment\n;\n").statements.isEmpty)
    }

    @Test func recoversToReportEveryError() {
        let messages = parseMessages("""
        let = 3
        load x | |
        attack pgd eps=
        for t in [1, 2] {
          purify t=)
        }
        classify
        report as "ok" extra=
        """)
        #expect(messages == [
            "1:5 expected a name after `let`, found `=`",
            "2:10 expected a stage name after `|`, found `|`",
            "3:16 expected a value, found the end of the line",
            "5:12 expected a value, found `)`",
            "8:22 expected a value, found the end of the file",
        ])
    }

    @Test func unterminatedStringAndStrayCharacter() {
        #expect(parseMessages("report as \"t=\nload $x") == [
            "1:11 unterminated string; add a closing `\"` before the end of the line",
            "2:6 unexpected character `$`; remove it or put it inside a string",
        ])
    }

    @Test func unclosedAndStrayBraces() {
        #expect(checkMessages("load mnist\nrequire dpl \">= 99\"") == [
            "2:1 `require` must come before every other statement; move it to the top of the file",
        ])
        #expect(parseMessages("for t in [1] {\n  load x\n") == [
            "3:1 expected `}` to close the loop that starts at line 1, found the end of the file",
        ])
        #expect(parseMessages("load x\n}\nload y") == ["2:1 unexpected `}` with no `{` to close"])
    }

    /// A pipeline pasted without its first line (issue 14) says how `|` lines continue.
    @Test func aLeadingPipeIsExplained() {
        let messages = parseMessages("  | purify t=100\n  | classify")
        #expect(messages.first?.hasPrefix("1:3 expected a value, found `|`; a line starting with `|` continues the pipeline on the line above it") == true, "\(messages)")
    }

    @Test func missingLetIsExplained() {
        #expect(parseMessages("x = 3") == ["1:3 `=` outside a stage argument; write `let x = …` to bind a name"])
    }

    @Test func badInterpolationAndEscape() {
        #expect(parseMessages(#"report as "{ t} \q""#) == [
            "1:12 expected a variable name and `}` after `{` in a string; write `\\{` for a literal brace",
            "1:17 unknown escape `\\q` in a string; write `\\\\` for a backslash",
        ])
    }

    @Test func deepNestingIsReportedNotCrashed() {
        let depth = 5000
        let text = "let x = " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
        let messages = parseMessages(text)
        #expect(messages.count == 1)
        #expect(messages.first?.contains("nesting is deeper than 200 levels") == true)
        let nestedLists = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(parseMessages(nestedLists).count == 1)
        let nestedLoops = String(repeating: "for x in [1] {\n", count: 300) + String(repeating: "}\n", count: 300)
        #expect(!parseMessages(nestedLoops).isEmpty)
    }

    @Test func moderateNestingIsFine() {
        let text = "let x = " + String(repeating: "(", count: 50) + "1" + String(repeating: ")", count: 50)
        #expect(parseMessages(text).isEmpty)
    }

    @Test func tenThousandLineScriptParsesQuickly() {
        var lines: [String] = []
        for index in 0..<10_000 {
            switch index % 4 {
            case 0: lines.append("let v\(index) = \(index)/255  # value \(index)")
            case 1: lines.append("data | attack pgd eps=v\(index - 1) steps=40 | purify t=100 seed=fixed | classify")
            case 2: lines.append("  | report as \"run {v\(index - 2)}\"")
            default: lines.append("set batch = \(index % 128 + 1)")
            }
        }
        let source = SourceFile(name: "big.dpl", text: lines.joined(separator: "\n"))
        let clock = ContinuousClock()
        var result: (program: Program, diagnostics: [Diagnostic])?
        let elapsed = clock.measure { result = Parser.parse(source) }
        #expect(result?.diagnostics.isEmpty == true)
        #expect(result?.program.statements.count == 7_500)
        #expect(elapsed < .seconds(5), "parsing 10,000 lines took \(elapsed)")
    }

    // MARK: require

    @Test func requireParsesAtTheTop() throws {
        let (program, diagnostics) = Parser.parse(SourceFile(name: "t.dpl", text: "# header\nrequire dpl \">= 0.2, < 1.0\"\nrequire dpl \"!= 0.2.1\"\nload d"))
        #expect(diagnostics.isEmpty)
        guard case .require(let statement) = program.statements.first else {
            Issue.record("expected a require statement")
            return
        }
        #expect(statement.requirement.description == ">= 0.2, < 1.0")
        #expect(statement.span.line == 2 && statement.span.column == 1)
    }

    @Test func requireAfterAnotherStatementNamesTheFix() {
        #expect(parseMessages("load d\nrequire dpl \">= 0.2\"") == [
            "2:1 `require` must come before every other statement; move it to the top of the file",
        ])
        #expect(checkMessages("load mnist\nrequire dpl \">= 99\"") == [
            "2:1 `require` must come before every other statement; move it to the top of the file",
        ])
        #expect(parseMessages("for t in [1] {\n  require dpl \">= 0.2\"\n}") == [
            "2:3 `require` cannot be inside a block; put it at the top of the file, before every other statement",
        ])
    }

    @Test func malformedRequireIsReported() {
        #expect(parseMessages("require dpl \"0.3\"") == [
            "1:13 `0.3` is not a version requirement; " + VersionRequirement.acceptedForms,
        ])
        #expect(parseMessages("require python \">= 3\"") == [
            "1:9 only `dpl` can be required, not `python`; write `require dpl \">= \(DPLVersion.current)\"`",
        ])
        #expect(parseMessages("require dpl 0.3") == [
            "1:13 expected a quoted version requirement after `require dpl`, such as \">= 0.3\", found `0.3`",
        ])
    }
}

// MARK: - Untrusted input: bounded depth and linear error reporting (issue 17)

@Suite struct ParserBoundsTests {
    /// `1+1+…` is read by a loop, but builds a tree as deep as the chain, which the checker,
    /// interpreter and formatter walk recursively; 20,000 terms overflowed the stack.
    @Test func longOperatorChainIsANestingError() {
        let text = "let x = " + Array(repeating: "1", count: 20_000).joined(separator: "+")
        let messages = parseMessages(text)
        #expect(messages == [
            "1:410 nesting is deeper than 200 levels (brackets, loops, `-` and each operator of a chain count); split the expression with `let`",
        ])
        #expect(checkMessages(text).count == 1)
        let mixed = "let y = " + Array(repeating: "2*3", count: 5_000).joined(separator: "-")
        #expect(parseMessages(mixed).count == 1)
    }

    @Test func chainWithinTheLimitIsFine() {
        let text = "let x = " + Array(repeating: "1", count: 150).joined(separator: "+") + "\nx"
        #expect(parseMessages(text).isEmpty)
        let (output, outcome) = runScript(text)
        #expect(outcome.succeeded)
        #expect(output == ["150"])
    }

    /// Each error used to be compared with every earlier one, and each shown line found by
    /// scanning the file from the top: 80,000 errors took 24 seconds.
    @Test func eightyThousandErrorsAreReportedInLinearTime() {
        let text = String(repeating: "let = 1\n", count: 80_000)
        let clock = ContinuousClock()
        var rendered = ""
        let elapsed = clock.measure {
            let source = SourceFile(name: "errors.dpl", text: text)
            let (_, diagnostics) = Parser.parse(source)
            rendered = DiagnosticReport(diagnostics: diagnostics, sources: [source.name: source]).rendered
        }
        #expect(rendered.components(separatedBy: "error:").count - 1 == 80_000)
        #expect(elapsed < .seconds(8), "80,000 parse errors took \(elapsed)")
    }
}
