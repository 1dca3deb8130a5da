import Foundation

// MARK: - The table `dpl estimate` prints

extension ScriptEstimate {
    /// One row per stage call and model: where, stage, images, batches, model, forward and
    /// backward passes (image evaluations), GFLOP and predicted seconds; then the total, each
    /// model's measured speed, and what the prediction leaves out.
    public var rendered: String {
        var rows: [[String]] = [["where", "stage", "images", "batches", "model", "forward", "backward", "GFLOP", "seconds"]]
        for work in stages {
            let seconds = self.seconds(of: work).map { String(format: "%.1f", $0) } ?? "?"
            let counted = work.passes.filter { $0.model.flopsPerImage > 0 }
            if counted.isEmpty {
                rows.append([work.location ?? "", work.stage, "\(work.images)", "\(work.batches)", "-", "0", "0", "0", "0.0"])
                continue
            }
            for (index, entry) in counted.enumerated() {
                let first = index == 0
                let bound = work.upperBound ? "≤" : ""
                rows.append([first ? work.location ?? "" : "", first ? work.stage : "", first ? "\(work.images)" : "",
                             first ? "\(work.batches)" : "", entry.model.name,
                             bound + "\(entry.passes.forward)", bound + "\(entry.passes.backward)",
                             first ? String(format: "%.1f", Self.gigaflops(of: work)) : "", first ? seconds : ""])
            }
        }
        let totalFlops = stages.reduce(0) { $0 + Self.gigaflops(of: $1) }
        rows.append(["total", "", "", "", "", "", "", String(format: "%.1f", totalFlops),
                     totalSeconds.map { String(format: "%.1f", $0) } ?? "?"])
        var lines = Self.aligned(rows, rightAligned: [2, 3, 5, 6, 7, 8])
        if let total = totalSeconds {
            lines.append("predicted run time: \(Self.duration(total)) of model work (batch \(batchSize))")
        }
        if !speeds.isEmpty {
            lines.append("measured on this machine:")
            for (model, speed) in speeds.sorted(by: { $0.key.name < $1.key.name }) {
                let shape = model.imageShape.map(String.init).joined(separator: "×")
                lines.append(String(format: "  %@ (%@, %.3f GFLOP per image): forward %.1f GFLOP/s, backward %.1f GFLOP/s at batch %d",
                                    model.name, shape, model.flopsPerImage / 1e9, speed.forwardRate / 1e9, speed.backwardRate / 1e9, speed.batch))
            }
        }
        lines.append("forward/backward: model evaluations of one image each; ≤ marks an upper bound (square stops early on broken samples)")
        lines.append("not predicted:")
        for item in unpredicted + Self.neverPredicted { lines.append("  - " + item) }
        return lines.joined(separator: "\n")
    }

    /// `rows` as columns two spaces apart; `rightAligned` columns padded on the left.
    static func aligned(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, text in
                let padding = String(repeating: " ", count: widths[column] - text.count)
                return rightAligned.contains(column) ? padding + text : text + padding
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
    }
}
