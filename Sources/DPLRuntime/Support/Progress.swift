import Foundation

/// Progress of long work on standard error: a redrawn bar with rate and ETA on a terminal,
/// plain lines (at most one every few seconds, and the last) otherwise, so logs stay readable.
final class ProgressReporter {
    private let label: String
    private let total: Int
    private let unit: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var lastMovingDraw = Date.distantPast
    /// The units done when the last progress (not merely moving) line was drawn.
    private var drawnDone = 0
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var finished = false
    private let quiet: Bool
    /// Units already done when the reporter started (a resumed run), left out of the rate.
    private let baseline: Int
    /// `dpl estimate`'s prediction of the whole work in seconds, shown as an estimated ETA
    /// until the first measured progress replaces it (a long first step otherwise shows
    /// `ETA –` for minutes).
    var predictedSeconds: Double?
    /// Whether lines are drawn as a bar on a terminal (where an estimate is worth computing).
    var drawsBar: Bool { isTerminal && !quiet }

    /// A reporter for `total` units of work, `alreadyDone` of which were finished before it
    /// started (a resumed run); `quiet` silences it (tests, tiny jobs).
    init(_ label: String, total: Int, unit: String = "it", alreadyDone: Int = 0, quiet: Bool = false) {
        self.label = label
        self.baseline = alreadyDone
        self.total = max(1, total)
        self.unit = unit
        self.quiet = quiet
    }

    /// Reports that `done` units are finished; `detail` is shown after the numbers (a loss).
    /// With `moving`, the line is drawn even when no unit finished since the start — work inside
    /// the first unit (an attack's first batch) shows it is alive. `partial` is how much of the
    /// next units is done too (a batch's attack 7 steps of 11 in): it counts toward the rate,
    /// the ETA and the bar, so a run of one long batch has an ETA before the batch ends.
    func update(_ done: Int, partial: Double = 0, detail: String = "", moving: Bool = false) {
        // Batches replayed from a journal report counts the reporter already started from.
        guard !quiet, done > baseline || done >= total || moving else { return }
        let now = Date()
        let complete = done >= total
        let interval = isTerminal ? 0.1 : 5.0
        // Lines that only show work is moving keep their own clock, so they never hold back
        // the line of a finished unit (a log shows every batch that ends 5 s after the last).
        let moved = moving && !(done > drawnDone)
        guard complete || now.timeIntervalSince(moved ? lastMovingDraw : lastDraw) >= interval else { return }
        if moved { lastMovingDraw = now } else { lastDraw = now; drawnDone = done }
        let elapsed = now.timeIntervalSince(start)
        let progressed = min(Double(total), Double(done) + max(0, partial))
        let rate = elapsed > 0 ? (progressed - Double(baseline)) / elapsed : 0
        let fraction = progressed / Double(total)
        let numbers = "\(done)/\(total) \(unit) \(String(format: "%.2f", rate)) \(unit)/s "
            + Self.timeText(complete: complete, elapsed: elapsed, rate: rate, left: Double(total) - progressed,
                            predicted: predictedSeconds.map { $0 * Double(total - baseline) / Double(total) })
            + (detail.isEmpty ? "" : " \(detail)")
        if isTerminal {
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(label) \(bar) \(numbers)".utf8))
            if complete { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            FileHandle.standardError.write(Data("\(label): \(Int(fraction * 100))% \(numbers)\n".utf8))
        }
        if complete { finished = true }
    }

    /// Ends the bar's line on a terminal when work stopped early (an error, Ctrl-C).
    func close() {
        if isTerminal, !finished, !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        finished = true
    }

    /// `in 1:02` when complete; the measured `ETA 0:40` once anything progressed; before that
    /// `ETA ~0:55 (estimated)` from `predicted` (the seconds of the work left when the reporter
    /// started), else `ETA –`.
    static func timeText(complete: Bool, elapsed: Double, rate: Double, left: Double, predicted: Double?) -> String {
        if complete { return "in \(clock(elapsed))" }
        if rate > 0 { return "ETA \(clock(left / rate))" }
        guard let predicted else { return "ETA –" }
        return "ETA ~\(clock(max(0, predicted - elapsed))) (estimated)"
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
