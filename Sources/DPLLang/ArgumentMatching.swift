// MARK: - Matching arguments to parameters

/// Which parameter each argument of a stage call names: a keyword argument by its label, the
/// others in order by the stage's positional parameters. The one rule, for built-in stages and
/// `def`s alike, shared by the checker (which reports every problem) and the interpreter (which
/// stops at the first); neither evaluates anything here.
struct ArgumentMatching {
    /// An argument and the parameter it names.
    struct Binding {
        let name: String
        let argument: StageArgument
        /// The argument's position in the call.
        let index: Int
    }

    /// An argument that names no parameter, or a parameter named twice.
    struct Problem {
        let message: String
        let fix: String?
        let span: SourceSpan
        /// The position in the call of the argument at fault.
        let index: Int

        /// The problem as a diagnostic.
        var diagnostic: Diagnostic { Diagnostic(message, at: span, fix: fix) }
        /// The problem as the error a running statement throws.
        var runtimeError: RuntimeError { RuntimeError(diagnostic.fullMessage, at: span) }
    }

    /// Every argument that names a parameter, in call order (a repeated name appears twice;
    /// the later one wins when bound).
    private(set) var bindings: [Binding] = []
    /// What is wrong, in call order.
    private(set) var problems: [Problem] = []

    /// Matches `call`'s arguments to `parameters` (all names), filling `positional` in order.
    init(_ call: StageCall, parameters: [String], positional: [String]) {
        var positionalIndex = 0
        var seen = Set<String>()
        for (index, argument) in call.arguments.enumerated() {
            let name: String
            if let label = argument.label {
                guard parameters.contains(label) else {
                    problems.append(Problem(
                        message: "unknown parameter `\(label)` for stage `\(call.name)`",
                        fix: Suggestion.didYouMean(label, among: parameters)
                            ?? (parameters.isEmpty ? "it takes no parameters" : "it takes " + parameters.map { "`\($0)`" }.joined(separator: ", ")),
                        span: argument.labelSpan, index: index))
                    continue
                }
                name = label
            } else {
                guard positionalIndex < positional.count else {
                    let allowed = positional.isEmpty ? "no positional arguments"
                        : "\(positional.count) positional argument\(positional.count == 1 ? "" : "s") (\(positional.map { "`\($0)`" }.joined(separator: ", ")))"
                    problems.append(Problem(message: "stage `\(call.name)` takes \(allowed); write the extra argument as `key=value`",
                                            fix: nil, span: argument.span, index: index))
                    continue
                }
                name = positional[positionalIndex]
                positionalIndex += 1
            }
            if !seen.insert(name).inserted {
                problems.append(Problem(message: "parameter `\(name)` is given twice to `\(call.name)`", fix: nil,
                                        span: argument.span, index: index))
            }
            bindings.append(Binding(name: name, argument: argument, index: index))
        }
    }
}
