import DPLLang

/// DPL's built-in stages: the one registry the checker, interpreter, REPL completion,
/// `dpl help` and docs/builtins.md read. Each stage lives in Stages/<Name>Stage.swift.
public enum BuiltinStages {
    /// A registry holding every built-in stage, sharing one runtime state (model cache,
    /// reported results, fresh-randomness counter) for the session that uses it. Every body
    /// honours smoke mode (Support/SmokeMode.swift).
    public static func makeRegistry() throws -> StageRegistry {
        var registry = StageRegistry()
        let state = RuntimeState()
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
        return try SmokeMode.wrapping(registry, state: state)
    }
}
