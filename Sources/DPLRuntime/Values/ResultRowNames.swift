import DPLLang

/// Every name `ResultRow.number(named:)` can answer, declared before anything runs so that
/// `plot y=robust_acuracy` is a `dpl check` error ("did you mean `robust_accuracy`?") instead
/// of an error after every attack of the script.
///
/// The measurement names are those the stages write: `measure` (MeasureStage+Analyses.swift)
/// names its per-sample columns and `SampleMeasurements.summaries()` adds `_mean`, `_median`
/// and `_max`; `compare` (CompareStage.swift) writes its fixed names. A stage that writes a
/// new name adds its family here; PlotStageTests runs every analysis and checks that each
/// name its rows have is listed.
extension ResultRow {
    /// The summaries `SampleMeasurements.summaries()` derives from each per-sample column.
    static let summarySuffixes = ["mean", "median", "max"]
    /// The images a batch record can hold (`ImageRecord.imageNames`): what `measure distance
    /// from=… to=…` measures between.
    static let snapshotNames = ["clean", "current", "adversarial", "purified"]

    /// The names a row's numbers can have.
    static let numberVocabulary = NameVocabulary(
        what: "a field or measurement of a result row", reference: "docs/analyses.md (Sweeps and plots)",
        families: [
            // The row's own fields (accuracies as fractions).
            .names(["x", "n", "clean_accuracy", "robust_accuracy", "attack_success", "targeted_success"]),
            // measure distance: `<norm>_<from>_<to>_<summary>`.
            .init([["l2", "linf"], snapshotNames, snapshotNames, summarySuffixes]),
            // measure spread.
            .init([["pixel_std", "agreement", "entropy"], summarySuffixes]),
            // measure compression, and its count of pairs without a ratio.
            .init([["compression"], ["adversarial", "random"], summarySuffixes]),
            .names([SampleMeasurements.compressionSkipped]),
            // compare.
            .names(["a_results", "a_robust", "a_spread", "b_results", "b_robust", "b_spread", "difference",
                    "difference_low", "difference_high", "favours_a", "favours_b", "mcnemar_p"]),
        ])
}
