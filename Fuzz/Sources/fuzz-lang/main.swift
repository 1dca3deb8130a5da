import DPLLang
import DPLRuntime
import FuzzSupport
import Foundation

// Arbitrary bytes as a script: lexer, parser, checker (with the real built-in stages) and,
// for scripts that parse, the formatter. Nothing may crash, overflow the stack or hang, and
// formatting must be idempotent and keep a script parseable (what `dpl fmt` promises).

/// The real registry, made once: checking is what is fuzzed, and its stages' checks are the
/// ones users meet. If it cannot be made the harness has nothing to test, so it stops loudly.
let registry: StageRegistry = withoutLeakChecks {
    do { return try BuiltinStages.makeRegistry() } catch { fuzzPropertyFailed("the built-in registry cannot be made: \(error)") }
}

/// Imports resolve in memory, never on disk: `lib.dpl` is a small library, `self.dpl` is the
/// input itself (so import cycles are reached); anything else is missing.
let scriptName = "/fuzz/self.dpl"
let library = """
def small = purify t=10 seed=fixed
let eps = 8/255
"""
var currentInput = ""
let loader = SourceLoader(currentDirectory: "/fuzz") { path in
    switch path {
    case scriptName: return currentInput
    case "/fuzz/lib.dpl": return library
    default: throw CocoaError(.fileNoSuchFile)
    }
}

/// Scripts that reach most of the language once before fuzzing starts (see `warmUp`).
let warmUpScripts = [
    """
    import "lib.dpl"
    set seed = 1
    let xs = [1, 2, 3]
    def defend(t) = purify t=t seed=fixed | classify
    load cifar10 n=8 | model "m.safetensors" | attack pgd eps=eps | defend(t=10) | report
    for x in xs { report "x" }
    """,
    "let y = -(1+2)*3/4 - 5 # comment\n",
    "import \"self.dpl\"\nfoo bar=\n",
]

runFuzzer(warmUp: warmUpScripts) { bytes, count in
    // Invalid UTF-8 is repaired as `dpl` does when it reads a file.
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    currentInput = text
    let source = SourceFile(name: scriptName, text: text)
    let (program, parseErrors) = Parser.parse(source)
    _ = Checker.versionRefusals(in: program)
    let checker = Checker(registry: registry, settings: .standard, loader: loader)
    let checkErrors = checker.check(program)
    var sources = checker.sources
    sources[scriptName] = source
    for diagnostic in (parseErrors + checkErrors).prefix(50) {
        _ = diagnostic.rendered(in: sources[diagnostic.span.file])
    }
    guard parseErrors.isEmpty else { return 0 }
    let formatted = Formatter.format(program)
    let (reparsed, reparseErrors) = Parser.parse(SourceFile(name: scriptName, text: formatted))
    if let first = reparseErrors.first {
        fuzzPropertyFailed("formatting a script that parses made one that does not: \(first)\n--- formatted:\n\(formatted)")
    }
    let again = Formatter.format(reparsed)
    if again != formatted {
        fuzzPropertyFailed("formatting is not idempotent\n--- once:\n\(formatted)\n--- twice:\n\(again)")
    }
    return 0
}
