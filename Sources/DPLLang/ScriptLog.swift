// MARK: - What ran, for provenance

/// The record of what a session ran: every script and imported script with its text, the
/// command-line `--set` assignments, and each stage invocation with its arguments after defaults
/// were applied. Stages read it through `StageContext.log` to write provenance; it holds text
/// only, so the language layer stays free of the runtime's types.
public final class ScriptLog {
    /// One script the session read.
    public struct Script: Equatable {
        /// The name it ran under: the path as given on the command line, or `<input>`, `<stdin>`, ….
        public let name: String
        /// The absolute path it was read from; equal to `name` for sources without a file.
        public let path: String
        /// Its full text.
        public let text: String
        /// Whether an `import` read it (rather than the command line, `-e` or the REPL).
        public let imported: Bool
    }

    /// One stage call as it ran.
    public struct Invocation: Equatable {
        /// The stage's name.
        public let stage: String
        /// Every argument, defaults applied, in DPL syntax, sorted by parameter name.
        public let arguments: [(name: String, value: String)]
        /// The script (its name) and line of the call.
        public let file: String
        /// The line of the call.
        public let line: Int
        /// How many times this call ran with these arguments (a `for` body, a REPL line
        /// repeated); counted rather than listed, so the log grows with what differs.
        public internal(set) var calls = 1

        /// Same stage, place and arguments.
        public static func == (a: Invocation, b: Invocation) -> Bool {
            a.stage == b.stage && a.file == b.file && a.line == b.line
                && a.arguments.map(\.name) == b.arguments.map(\.name) && a.arguments.map(\.value) == b.arguments.map(\.value)
        }
    }

    /// Scripts in the order they were read.
    public private(set) var scripts: [Script] = []
    /// `--set` assignments in the order they were applied.
    public private(set) var settingAssignments: [String] = []
    /// Distinct stage invocations (stage, place, arguments) in the order they first ran, each
    /// with how often it ran; at most `maximumInvocations`.
    public private(set) var invocations: [Invocation] = []
    /// Distinct invocations past `maximumInvocations`, counted but not listed: a session that
    /// runs a stage at 100,000 places or with 100,000 argument sets would otherwise write all
    /// of them into every result it saves (quadratic in a long REPL session). The script texts
    /// and settings, which provenance keeps whole, determine every invocation anyway.
    public private(set) var omittedInvocations = 0
    /// The most distinct invocations listed.
    public static let maximumInvocations = 1_000
    /// Where each listed invocation is, by its stage, place and arguments.
    private var invocationIndex: [String: Int] = [:]
    /// The keys of invocations past the limit, so each is counted once.
    private var omittedKeys = Set<String>()

    /// An empty log.
    public init() {}

    func record(script: Script) { scripts.append(script) }

    func record(settingAssignment: String) { settingAssignments.append(settingAssignment) }

    func record(_ stages: [BoundStage]) {
        for stage in stages {
            let arguments = stage.arguments.keys.sorted().map { (name: $0, value: stage.arguments[$0]?.literal ?? "") }
            // The unit separator keeps fields apart: `a` + `bc` and `ab` + `c` differ.
            let key = ([stage.name, stage.span.file, String(stage.span.line)] + arguments.flatMap { [$0.name, $0.value] })
                .joined(separator: "\u{1F}")
            if let index = invocationIndex[key] {
                invocations[index].calls += 1
            } else if invocations.count < Self.maximumInvocations {
                invocationIndex[key] = invocations.count
                invocations.append(Invocation(stage: stage.name, arguments: arguments, file: stage.span.file, line: stage.span.line))
            } else if omittedKeys.insert(key).inserted {
                omittedInvocations += 1
            }
        }
    }

    /// Forgets everything (the REPL's `:reset`).
    func reset() {
        scripts.removeAll()
        settingAssignments.removeAll()
        invocations.removeAll()
        invocationIndex.removeAll()
        omittedKeys.removeAll()
        omittedInvocations = 0
    }
}
