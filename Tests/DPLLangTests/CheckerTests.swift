import Testing
@testable import DPLLang
import DPLLangTestSupport

/// One test per error class, with the exact message a user sees.
@Suite struct CheckerTests {
    @Test func validScriptHasNoErrors() {
        #expect(checkMessages("""
        let data = load fashion-mnist split=test n=512
        set batch = 64
        attack pgd eps=8/255 | purify t=100 seed=fixed | classify
        data | attack pgd eps=8/255 steps=40 | purify t=100 seed=random | classify | report
        def diffpure(t=100, seed=random) = purify t=t seed=seed sampler=sde
        data | attack apgd eps=8/255 | diffpure t=50 | classify | report
        for t in [25, 50, 100, 200] {
          data | attack pgd eps=8/255 | purify t=t seed=fixed | classify | report as "t={t}"
        }
        """) == [])
    }

    @Test func unknownStageWithSuggestion() {
        #expect(checkMessages("load mnist | purfy t=100") == ["1:14 unknown stage `purfy`; did you mean `purify`?"])
        #expect(checkMessages("load mnist | pruify") == ["1:14 unknown stage `pruify`; did you mean `purify`?"])
        #expect(checkMessages("zzz x=1") == ["1:1 unknown stage `zzz`; `:help` in the REPL or `dpl help` lists the stages"])
    }

    @Test func unknownVariableOrStage() {
        #expect(checkMessages("let data = load mnist\ndta | classify") == [
            "2:1 unknown stage or variable `dta`; did you mean `data`?",
        ])
    }

    @Test func misspelledParameter() {
        #expect(checkMessages("load mnist | attack pgd esp=0.1") == [
            "1:25 unknown parameter `esp` for stage `attack`; did you mean `eps`?",
        ])
        #expect(checkMessages("load mnist | classify batch=3") == [
            "1:23 unknown parameter `batch` for stage `classify`; it takes no parameters",
        ])
    }

    @Test func wrongType() {
        #expect(checkMessages("load mnist n=\"many\"") == ["1:14 parameter `n` of `load` expects a whole number, but got a string"])
        #expect(checkMessages("load mnist n=2.5") == ["1:14 parameter `n` of `load` expects a whole number, but got 2.5"])
        #expect(checkMessages("load mnist | purify sampler=ddmi") == [
            "1:29 parameter `sampler` of `purify` must be one of ddpm, ddim, sde, but is `ddmi`; did you mean `ddim`?",
        ])
        #expect(checkMessages("load mnist | purify seed=sometimes") == [
            "1:26 parameter `seed` of `purify` expects one of fixed, random or a whole number, but got the name `sometimes`",
        ])
    }

    @Test func outOfRange() {
        #expect(checkMessages("load mnist | attack pgd eps=-0.1") == [
            "1:29 parameter `eps` of `attack` must be at least 0, but is -0.1",
        ])
        #expect(checkMessages("load mnist | purify t=5000") == [
            "1:23 parameter `t` of `purify` must be at most 1000, but is 5000",
        ])
    }

    @Test func outOfRangeInsideLoopIsFoundPerElement() {
        #expect(checkMessages("let d = load m\nfor t in [10, 2000] {\n  d | purify t=t\n}") == [
            "3:16 parameter `t` of `purify` must be at most 1000, but is 2000",
        ])
    }

    @Test func missingRequiredArgument() {
        #expect(checkMessages("load split=train") == ["1:1 stage `load` needs the argument `dataset` (dataset name)"])
    }

    @Test func tooManyPositionalArguments() {
        #expect(checkMessages("load mnist cifar") == [
            "1:12 stage `load` takes 1 positional argument (`dataset`); write the extra argument as `key=value`",
        ])
    }

    @Test func stageWhoseInputCannotComeFromBefore() {
        #expect(checkMessages("load mnist | report") == [
            "1:14 stage `report` needs a classified batch as input, but `load` produces a dataset",
        ])
        #expect(checkMessages("load mnist | classify | load cifar") == [
            "1:25 stage `load` starts a pipeline and takes no input; start a new pipeline with it",
        ])
        #expect(checkMessages("3 | classify") == [
            "1:5 stage `classify` needs a dataset or a batch as input, but the value before it produces the number 3",
        ])
    }

    @Test func noDefaultSource() {
        #expect(checkMessages("attack pgd | classify") == [
            "1:1 stage `attack` needs input, but nothing is piped into it and there is no default source; pipe data in, or define it with `let data = …` or `set data = …`",
        ])
        #expect(checkMessages("set data = load mnist\nattack pgd | classify") == [])
        #expect(checkMessages("let data = load mnist\nattack pgd | classify") == [])
    }

    @Test func undefinedVariable() {
        #expect(checkMessages("let eps = 0.1\nlet y = epz * 2") == ["2:9 undefined variable `epz`; did you mean `eps`?"])
        #expect(checkMessages("for t in tees { load m }") == ["1:10 undefined variable `tees`"])
        #expect(checkMessages("let t = 1\nload m | classify | report as \"t={tt}\"") == [
            "2:35 undefined variable `tt` in string; did you mean `t`?",
        ])
    }

    @Test func misspelledVariableAsArgument() {
        #expect(checkMessages("let steps = 100\nload m | purify t=stesp") == [
            "2:19 parameter `t` of `purify` expects a whole number, but got the name `stesp`; did you mean `steps`?",
        ])
        #expect(checkMessages("let t = 100\nload m | purify t=t-1") == [
            "2:19 parameter `t` of `purify` expects a whole number, but got the name `t-1`; write `t - 1` with spaces to subtract",
        ])
    }

    @Test func unknownSetting() {
        #expect(checkMessages("set bach = 3") == ["1:5 unknown setting `bach`; did you mean `batch`?"])
        #expect(checkMessages("set batch = 0") == ["1:13 setting `batch` must be at least 1, but is 0"])
    }

    @Test func definitionCallsAreCheckedWithTheirArguments() {
        #expect(checkMessages("def p(t=100) = purify t=t\nload m | p t=5000") == [
            "2:10 in `p` (defined at main.dpl:1): parameter `t` of `purify` must be at most 1000, but is 5000",
        ])
        #expect(checkMessages("def p(t) = purify t=t\nload m | p") == ["2:10 stage `p` needs the argument `t`"])
        #expect(checkMessages("def p(t=1) = purify t=t\nload m | p tt=3") == [
            "2:12 unknown parameter `tt` for stage `p`; did you mean `t`?",
        ])
        #expect(checkMessages("def p = purify\nload m | p | report") == [
            "2:14 stage `report` needs a classified batch as input, but `p` produces a batch",
        ])
    }

    @Test func importsAreCheckedOnce() {
        let files = ["/scripts/common.dpl": "def defend(t=100) = purify t=t\nlet d = load mnist\nload m | purfy"]
        #expect(checkMessages("import \"common.dpl\"\nimport \"common.dpl\"\nd | defend t=50 | classify", files: files) == [
            "3:10 unknown stage `purfy`; did you mean `purify`?",
        ])
        #expect(checkMessages("import \"missing.dpl\"") == ["1:8 cannot read `missing.dpl` (looked for /scripts/missing.dpl)"])
    }

    @Test func allErrorsInOnePass() {
        #expect(checkMessages("load mnist | purfy\nset bach = 1\nload x | attack pgd eps=-1").count == 3)
    }

    @Test func arithmeticErrors() {
        #expect(checkMessages("let x = 1/0") == ["1:11 division by zero"])
        #expect(checkMessages("let x = \"a\" * 2") == ["1:9 `*` needs two numbers, but got a string and the number 2"])
    }

    // MARK: require

    @Test func satisfiedRequirementChecksTheRest() {
        #expect(checkMessages("require dpl \">= 0.2, < 1.0\"\nload mnist | purfy") == [
            "2:14 unknown stage `purfy`; did you mean `purify`?",
        ])
    }

    @Test func unmetRequirementRefusesWithBothVersionsAlone() {
        // The later syntax and check errors are left out: a newer DPL's script is expected to use what this one lacks.
        #expect(checkMessages("require dpl \">= 99.1\"\nload mnist | purfy\nlet = 3") == [
            "1:1 this script requires dpl >= 99.1, but this is dpl \(DPLVersion.current); install a newer DPL",
        ])
    }

    @Test func importedFileRequirementIsChecked() {
        #expect(checkMessages("import \"new.dpl\"\nload mnist", files: ["/scripts/new.dpl": "require dpl \">= 99\"\nlet = 1"]) == [
            "1:1 this script requires dpl >= 99, but this is dpl \(DPLVersion.current); install a newer DPL",
        ])
    }
}

// MARK: - Untrusted input: recursion, depth and work bounded (issue 17)

@Suite struct CheckerBoundsTests {
    /// `def f=f` then `f` (9 bytes) overflowed the stack in `dpl check` and `dpl run`.
    @Test func selfRecursiveDefIsAnErrorNamingTheCycle() {
        #expect(checkMessages("def f=f\nf") == [
            "1:7 `f` calls itself (`f` → `f`); a `def` cannot call itself, directly or through other `def`s",
        ])
        #expect(isScriptErrors(runScript("def f=f\nf").outcome))
    }

    @Test func recursionThroughAnotherDefIsAnErrorNamingTheCycle() {
        let messages = checkMessages("def g = classify\ndef f = g | classify\ndef g = f\nload d | g")
        #expect(messages.contains(
            "3:9 in `f` (defined at main.dpl:2): `g` calls itself (`g` → `f` → `g`); a `def` cannot call itself, directly or through other `def`s"))
    }

    /// A chain of 2,000 `def`s, each calling the one before, overflowed the stack.
    @Test func longDefChainIsADepthError() {
        var lines = ["def f0 = classify"]
        for index in 1..<2_000 { lines.append("def f\(index) = f\(index - 1)") }
        lines.append("load d | f1999 | report")
        let messages = checkMessages(lines.joined(separator: "\n"))
        #expect(messages == [
            "101:5 `def` calls nest deeper than 100 levels (`f100` → `f99` → … → `f0`); call fewer `def`s inside `def`s",
        ])
    }

    @Test func shortDefChainRuns() {
        var lines = ["def f0 = classify"]
        for index in 1..<50 { lines.append("def f\(index) = f\(index - 1)") }
        lines.append("load d n=1 | f49 | report as \"r\"")
        let (output, outcome) = runScript(lines.joined(separator: "\n"))
        #expect(outcome.succeeded)
        #expect(output == ["r: d n=1 > classify"])
    }

    /// 8 nested loops over 16 literals (394 bytes) made the checker visit 16^8 bodies.
    @Test func nestedLiteralLoopsAreCheckedOncePerTypeEnvironment() {
        let elements = "[" + (1...16).map(String.init).joined(separator: ", ") + "]"
        var text = "let d = load m\n"
        for level in 0..<8 { text += "for v\(level) in \(elements) {\n" }
        text += "d | purify t=v0 | classify\n" + String(repeating: "}\n", count: 8)
        let clock = ContinuousClock()
        var messages: [String] = []
        let elapsed = clock.measure { messages = checkMessages(text) }
        #expect(messages.isEmpty)
        #expect(elapsed < .seconds(5), "checking 8 nested loops took \(elapsed)")
    }

    @Test func outerLoopElementsAreStillCheckedOneByOne() {
        let text = """
        let d = load m
        for t in [10, 2000] {
          for s in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] {
            for u in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] {
              d | purify t=t | classify
            }
          }
        }
        """
        #expect(checkMessages(text) == ["5:20 parameter `t` of `purify` must be at most 1000, but is 2000"])
    }

    // MARK: Imports

    /// A cycle re-ran the main script (results printed twice); it is an error in the file that closes it.
    @Test func importCycleIsAnErrorNamingTheCycle() {
        let files = ["/scripts/lib/a.dpl": "import \"b.dpl\"\n", "/scripts/lib/b.dpl": "import \"../main.dpl\"\n"]
        let cycle = "import cycle: `main.dpl` → `a.dpl` → `b.dpl` → `main.dpl`; a script cannot import itself, directly or through other scripts"
        #expect(checkMessages("import \"lib/a.dpl\"\n\"main\"", files: files) == ["1:8 \(cycle)"])
        #expect(checkMessages("import \"main.dpl\"") == [
            "1:8 import cycle: `main.dpl` → `main.dpl`; a script cannot import itself, directly or through other scripts",
        ])
        let (output, outcome) = runScript("import \"lib/a.dpl\"\n\"main\"", files: files)
        #expect(output.isEmpty)
        #expect(isScriptErrors(outcome))
    }

    /// Two names for one file (a symbolic link) imported it twice.
    @Test func importsAreKeyedByTheFileTheyReach() {
        let files = ["/scripts/lib/common.dpl": "\"common loaded\"\nlet shared = 1\n"]
        let loader = SourceLoader(currentDirectory: "/scripts",
                                  canonicalPath: { $0 == "/scripts/link.dpl" ? "/scripts/lib/common.dpl" : $0 }) { path in
            guard let text = files[path] else { throw FakeFailure(description: "no such file") }
            return text
        }
        var lines: [String] = []
        let session = Session(registry: makeTestRegistry(), loader: loader) { lines.append($0) }
        let outcome = session.run(SourceFile(name: "/scripts/main.dpl",
                                             text: "import \"lib/common.dpl\"\nimport \"link.dpl\"\nshared"))
        #expect(outcome.succeeded)
        #expect(lines == ["common loaded", "1"])
    }

    /// `import "/proc/self/environ"` printed the environment in the diagnostic's source line.
    @Test func importOfANonScriptIsRefusedWithoutShowingIt() {
        let files = ["/proc/self/environ": "SECRET_TOKEN=hunter2\u{0}PATH=/bin\u{0}",
                     "/scripts/env.dpl": "SECRET_TOKEN=hunter2\u{0}PATH=/bin\u{0}"]
        let notScript = checkMessages("import \"/proc/self/environ\"", files: files)
        #expect(notScript == [
            "1:8 can only import DPL scripts, whose names end in .dpl, but `/proc/self/environ` does not; rename the file",
        ])
        let binary = checkMessages("import \"env.dpl\"", files: files)
        #expect(binary == ["1:8 `env.dpl` is not a text file (it holds NUL bytes), so it cannot be a DPL script"])
        let session = Session(registry: makeTestRegistry(), loader: memoryLoader(files)) { _ in }
        for text in ["import \"/proc/self/environ\"", "import \"env.dpl\""] {
            let rendered = session.check(SourceFile(name: "/scripts/main.dpl", text: text)).errorText ?? ""
            #expect(!rendered.contains("hunter2"))
        }
    }
}

extension CheckerBoundsTests {
    /// `inf - inf` is NaN, which passed every range check (`ema=` NaN saved NaN weights).
    @Test func nonFiniteNumbersAreRangeErrors() {
        #expect(checkMessages("let big = 1e300 * 1e300\nload m | attack pgd eps=big - big") == [
            "2:25 parameter `eps` of `attack` must be a finite number, but is nan",
        ])
        #expect(checkMessages("let big = 1e300 * 1e300\nload m | attack pgd eps=big") == [
            "2:25 parameter `eps` of `attack` must be a finite number, but is inf",
        ])
    }
}

extension CheckerBoundsTests {
    /// `def f2 = f1 | f1`, … 25 levels: each call's body was checked afresh, 2^25 times.
    @Test func doublingDefChainIsCheckedInLinearTime() {
        var lines = ["let t0 = 50", "def f0 = purify t=t0"]
        for index in 1...25 { lines.append("def f\(index) = f\(index - 1) | f\(index - 1)") }
        lines.append("load d | f25 | classify")
        let clock = ContinuousClock()
        var messages: [String] = []
        let elapsed = clock.measure { messages = checkMessages(lines.joined(separator: "\n")) }
        #expect(messages.isEmpty)
        #expect(elapsed < .seconds(5), "checking took \(elapsed)")
        // The same body with values that differ per call is still checked per call.
        #expect(checkMessages("def p(t) = purify t=t\nload d | p t=50 | p t=5000 | classify") == [
            "2:19 in `p` (defined at main.dpl:1): parameter `t` of `purify` must be at most 1000, but is 5000",
        ])
    }
}

extension InterpreterBoundsTests {
    @Test func doublingDefChainIsARuntimeErrorNotAMemoryBlowUp() {
        var lines = ["def f0 = purify"]
        for index in 1...40 { lines.append("def f\(index) = f\(index - 1) | f\(index - 1)") }
        lines.append("load d | f40 | classify")
        let (_, outcome) = runScript(lines.joined(separator: "\n"))
        #expect(isRuntimeFailure(outcome))
        #expect(outcome.errorText?.contains("expands to more than 10000 stages") == true)
    }
}
