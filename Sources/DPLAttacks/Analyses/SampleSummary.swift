// MARK: - Summaries of per-sample values

/// Mean, median and maximum of per-sample values (nil when there are none).
public struct SampleSummary: Equatable, Sendable, CustomStringConvertible {
    /// How many values.
    public let count: Int
    /// The arithmetic mean, summed in index order (reproducible bit for bit).
    public let mean: Float?
    /// The middle value, or the mean of the two middle values for an even count.
    public let median: Float?
    /// The largest value.
    public let max: Float?

    /// The summary of `values`.
    public init(_ values: [Float]) {
        count = values.count
        guard !values.isEmpty else {
            mean = nil; median = nil; max = nil
            return
        }
        var total: Double = 0
        for v in values { total += Double(v) }
        mean = Float(total / Double(values.count))
        let sorted = values.sorted()
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        max = sorted.last
    }

    /// `mean 0.12  median 0.10  max 0.40  (n=16)`.
    public var description: String {
        guard let mean, let median, let max else { return "no values (n=0)" }
        return "mean \(mean)  median \(median)  max \(max)  (n=\(count))"
    }
}
