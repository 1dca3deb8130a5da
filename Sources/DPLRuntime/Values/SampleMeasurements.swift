import DPLAttacks

/// Per-sample values a `measure` stage found: one column per measured quantity, one entry per
/// sample in batch order. `save "x.json"`/`"x.csv"` writes them next to the summaries.
///
/// The row's summary measurements are derived from these values by `summaries()` alone, both
/// when a stage measures and when `dpl merge` combines shards, so the two agree bit for bit.
public struct SampleMeasurements {
    /// One measured quantity.
    public struct Column {
        /// The quantity's name (`l2_clean_purified`).
        public let name: String
        /// One value per sample; nil where the quantity is undefined for that sample (a
        /// compression pair at distance 0).
        public var values: [Double?]
        /// When a sample has several values (compression's random pairs), all of them, per
        /// sample: the summary runs over these and `values` holds each sample's mean.
        public var pairs: [[Double?]]?
    }

    /// The samples' ids, in batch order.
    public var sampleIDs: [UInt64] = []
    /// The samples' labels, in the same order.
    public var labels: [Int] = []
    /// Columns in the order they were added.
    public private(set) var columns: [Column] = []
    /// The measurement counting undefined values (`compression_skipped`), when the analysis
    /// reports one.
    public var skippedName: String?

    /// The name under which `measure compression` counts pairs without a ratio.
    public static let compressionSkipped = "compression_skipped"

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
        columns.append(Column(name: name, values: values.map { $0.map(Double.init) }, pairs: nil))
    }

    /// Adds the column `name` whose samples each have several values `pairs`; the column
    /// shows each sample's mean, the summary runs over every value.
    public mutating func add(_ name: String, pairs: [[Float?]]) {
        let means: [Double?] = pairs.map { values in
            let present = values.compactMap { $0 }
            return present.isEmpty ? nil : SampleSummary(present).mean.map(Double.init)
        }
        columns.append(Column(name: name, values: means, pairs: pairs.map { $0.map { $0.map(Double.init) } }))
    }

    /// Adds a column as read back from a results file.
    mutating func append(_ column: Column) { columns.append(column) }

    // MARK: - Summaries

    /// The row's summary measurements: `<column>_mean`, `_median` and `_max` of every column
    /// (over its pairs when it has them; nothing for a column without a defined value — no
    /// fake zeros), then the count of undefined values under `skippedName`.
    public func summaries() -> [(name: String, value: Double)] {
        var measurements: [(name: String, value: Double)] = []
        var skipped = 0
        for column in columns {
            let values = column.pairs.map { $0.flatMap { $0 } } ?? column.values
            skipped += values.filter { $0 == nil }.count
            let summary = SampleSummary(values.compactMap { $0.map(Float.init) })
            guard let mean = summary.mean, let median = summary.median, let max = summary.max else { continue }
            measurements += [("\(column.name)_mean", Double(mean)), ("\(column.name)_median", Double(median)),
                             ("\(column.name)_max", Double(max))]
        }
        if let skippedName { measurements.append((skippedName, Double(skipped))) }
        return measurements
    }

    // MARK: - Combining shards

    /// These samples followed by `other`'s, column by column.
    /// - Throws: `RuntimeError` when the two do not measure the same quantities.
    func appending(_ other: SampleMeasurements) throws -> SampleMeasurements {
        guard columns.map(\.name) == other.columns.map(\.name), skippedName == other.skippedName,
              columns.map({ $0.pairs == nil }) == other.columns.map({ $0.pairs == nil }) else {
            throw RuntimeError("the shards measured different quantities (\(columns.map(\.name).joined(separator: ", ")) vs \(other.columns.map(\.name).joined(separator: ", "))); merge shards of one script only")
        }
        var result = self
        result.sampleIDs += other.sampleIDs
        result.labels += other.labels
        for i in result.columns.indices {
            result.columns[i].values += other.columns[i].values
            if let more = other.columns[i].pairs { result.columns[i].pairs? += more }
        }
        return result
    }
}
