import Foundation

// MARK: - Timing

/// The measured result of one workload.
struct Measurement {
    let name: String
    /// Median of the timed runs.
    let medianSeconds: Double
    let flops: Double?

    /// Billions of floating-point operations per second at the median time.
    var gigaflopsPerSecond: Double? {
        guard let flops, medianSeconds > 0 else { return nil }
        return flops / medianSeconds / 1e9
    }
}

/// Runs each workload: prepare (untimed), `warmups` warm-up runs, then `repeats` timed runs.
/// Progress lines go to stderr so stdout stays clean for the table or the JSON.
struct BenchmarkRunner {
    let repeats: Int
    var warmups = 1

    func run(_ workloads: [Workload]) throws -> [Measurement] {
        var results: [Measurement] = []
        for (index, workload) in workloads.enumerated() {
            progress("[\(index + 1)/\(workloads.count)] \(workload.name): preparing")
            let body = try workload.prepare()
            for _ in 0..<warmups {
                progress("[\(index + 1)/\(workloads.count)] \(workload.name): warm-up")
                try body()
            }
            var times: [Double] = []
            for run in 1...repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                progress("[\(index + 1)/\(workloads.count)] \(workload.name): run \(run)/\(repeats) \(formatSeconds(times.last ?? 0))")
            }
            results.append(Measurement(name: workload.name, medianSeconds: median(times), flops: workload.flops))
        }
        return results
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Writes one line to stderr.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Seconds with four significant digits, e.g. `0.01234`.
func formatSeconds(_ seconds: Double) -> String {
    String(format: "%.4g s", seconds)
}
