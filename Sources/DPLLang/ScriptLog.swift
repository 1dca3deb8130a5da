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
    /// Stage invocations in the order they ran (a `for` body's stages once per iteration).
    public private(set) var invocations: [Invocation] = []

    /// An empty log.
    public init() {}

    func record(script: Script) { scripts.append(script) }

    func record(settingAssignment: String) { settingAssignments.append(settingAssignment) }

    func record(_ stages: [BoundStage]) {
        for stage in stages {
            let arguments = stage.arguments.keys.sorted().map { (name: $0, value: stage.arguments[$0]?.literal ?? "") }
            invocations.append(Invocation(stage: stage.name, arguments: arguments, file: stage.span.file, line: stage.span.line))
        }
    }

    /// Forgets everything (the REPL's `:reset`).
    func reset() {
        scripts.removeAll()
        settingAssignments.removeAll()
        invocations.removeAll()
    }
}
