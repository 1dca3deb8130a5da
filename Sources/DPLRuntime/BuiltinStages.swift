import DPLLang

/// DPL's built-in stages: the one registry the checker, interpreter, REPL completion,
/// `dpl help` and docs/builtins.md read. Each stage lives in Stages/<Name>Stage.swift.
public enum BuiltinStages {
    /// A registry holding every built-in stage, sharing one runtime state (model cache,
    /// reported results, fresh-randomness counter, files read) for the session that uses it.
    /// - Parameter outputRedirect: when given, every file the stages write goes under this
    ///   folder, at the path the script names relative to its own folder (`dpl verify` reruns so).
    public static func makeRegistry(outputRedirect: String? = nil) throws -> StageRegistry {
        var registry = StageRegistry()
        let state = RuntimeState(outputRedirect: outputRedirect)
        try LoadStage.register(into: &registry, state: state)
        try ModelStage.register(into: &registry, state: state)
        try ClassifyStage.register(into: &registry, state: state)
        try ReportStage.register(into: &registry, state: state)
        try SaveStage.register(into: &registry, state: state)
        try TrainStage.register(into: &registry, state: state)
        try PurifyStage.register(into: &registry, state: state)
        try AttackStage.register(into: &registry, state: state)
        try MeasureStage.register(into: &registry, state: state)
        try PlotStage.register(into: &registry, state: state)
        return registry
    }
}
