/// Which part of a dataset to load.
public enum DatasetSplit: String, Sendable, CaseIterable {
    /// The training part.
    case train
    /// The held-out test part.
    case test
}
