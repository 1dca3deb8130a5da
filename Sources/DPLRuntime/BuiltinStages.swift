import DPLLang

/// DPL's built-in stages: the one registry the checker, interpreter, REPL completion,
/// `dpl help` and docs/builtins.md read. Each stage lives in Stages/<Name>Stage.swift.
public enum BuiltinStages {
    /// A registry holding every built-in stage, sharing one runtime state (model cache,
    /// reported results, fresh-randomness counter, files read) for the session that uses it. Every body
    /// honours smoke mode (Support/SmokeMode.swift).
    /// - Parameters:
    ///   - outputRedirect: when given, every file the stages write goes under this folder, at
    ///     the path the script names relative to its own folder (`dpl verify` reruns so), and
    ///     nowhere else.
    ///   - writePolicy: otherwise, where scripts may write (`--allow-write` adds folders).
    ///   - readPolicy: which weights and dataset files may be read (`--sandbox`, `dpl verify`).
    public static func makeRegistry(outputRedirect: String? = nil, writePolicy: WritePolicy = WritePolicy(),
                                    readPolicy: ReadPolicy = ReadPolicy()) throws -> StageRegistry {
        try makeRegistryWithResults(outputRedirect: outputRedirect, writePolicy: writePolicy, readPolicy: readPolicy).registry
    }

    /// A registry as `makeRegistry()` makes, and a view of the rows its `report` and `measure`
    /// stages add as the session runs — how a program embedding DPL reads results as values.
    public static func makeRegistryWithResults(outputRedirect: String? = nil, writePolicy: WritePolicy = WritePolicy(),
                                               readPolicy: ReadPolicy = ReadPolicy()) throws
        -> (registry: StageRegistry, results: ReportedResults) {
        let state = RuntimeState(outputRedirect: outputRedirect, writePolicy: writePolicy, readPolicy: readPolicy)
        return (try makeRegistry(state: state), ReportedResults(state: state))
    }

    /// A registry whose stages share `state` (tests observe it).
    static func makeRegistry(state: RuntimeState) throws -> StageRegistry {
        var registry = StageRegistry()
        try LoadStage.register(into: &registry, state: state)
        try ModelStage.register(into: &registry, state: state)
        try ClassifyStage.register(into: &registry, state: state)
        try ReportStage.register(into: &registry, state: state)
        try SaveStage.register(into: &registry, state: state)
        try TrainStage.register(into: &registry, state: state)
        try PurifyStage.register(into: &registry, state: state)
        try AttackStage.register(into: &registry, state: state)
        try MeasureStage.register(into: &registry, state: state)
        try CompareStage.register(into: &registry, state: state)
        try PlotStage.register(into: &registry, state: state)
        var wrapped = try SmokeMode.wrapping(registry, state: state)
        // With nothing piped in and no `data`, a pipeline reads the shipped dataset's test split.
        wrapped.defaultSource = StageRegistry.DefaultSource(
            stage: "load", arguments: ["dataset": .name("fashion-mnist"), "split": .name("test")],
            description: "the Fashion-MNIST test split (10,000 images)",
            predict: { stages, context in ScriptEstimator.predict(stages, context: context) })
        // A rerun under a redirect writes only there; the checker judges literal paths against
        // the script's folder either way (a path out of it is refused before anything runs).
        wrapped.writePolicy = state.writePolicy
        wrapped.onReset = { [state] in state.reset() }
        return wrapped
    }
}
