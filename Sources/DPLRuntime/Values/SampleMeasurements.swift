/// Per-sample values a `measure` stage found: one column per measured quantity, one entry per
/// sample in batch order. `save "x.json"`/`"x.csv"` writes them next to the summaries.
public struct SampleMeasurements {
    /// The samples' ids, in batch order.
    public var sampleIDs: [UInt64] = []
    /// The samples' labels, in the same order.
    public var labels: [Int] = []
    /// Columns by name, in the order they were added; a value is `nil` where the quantity is
    /// undefined for that sample (a compression pair at distance 0).
    public private(set) var columns: [(name: String, values: [Double?])] = []

    /// No samples.
    public init() {}

    /// The samples `sampleIDs` with labels `labels` and no columns yet.
    public init(sampleIDs: [UInt64], labels: [Int]) {
        self.sampleIDs = sampleIDs
        self.labels = labels
    }

    /// Whether there is nothing to write.
    public var isEmpty: Bool { columns.isEmpty }

    /// Adds the column `name` (one value per sample).
    public mutating func add(_ name: String, _ values: [Float?]) {
        columns.append((name, values.map { $0.map(Double.init) }))
    }
}
