import Foundation

// MARK: - Output

enum BenchmarkReport {
    /// An aligned table: workload, median seconds, GFLOP/s where known.
    static func table(_ results: [Measurement], threads: Int, repeats: Int, warmups: Int = 1) -> String {
        let header = ["workload", "median s", "GFLOP/s"]
        let rows = results.map { result in
            [result.name, String(format: "%.5f", result.medianSeconds),
             result.gigaflopsPerSecond.map { String(format: "%.1f", $0) } ?? "-"]
        }
        let widths = (0..<header.count).map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                // The name column is left-aligned, numbers right-aligned.
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        let warmup = warmups == 0 ? "no warm-up" : warmups == 1 ? "after a warm-up" : "after \(warmups) warm-ups"
        let footer = "(median of \(repeats) runs, \(warmup); engine threads: \(threads))"
        return ([line(header), rule] + rows.map(line) + [footer]).joined(separator: "\n")
    }

    /// One JSON object `{"workload": median_seconds, ...}` in the order the workloads ran.
    static func json(_ results: [Measurement]) -> String {
        let members = results.map { "\"\(escaped($0.name))\": \(String(format: "%.9g", $0.medianSeconds))" }
        return "{" + members.joined(separator: ", ") + "}"
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
