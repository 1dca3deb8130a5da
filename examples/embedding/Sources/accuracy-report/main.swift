import DPLKit
import Foundation

// Evaluates the shipped classifier on clean and FGSM-attacked Fashion-MNIST images, then
// prints each result row from the returned values instead of parsing DPL's text output.
let script = """
require dpl ">= 0.2"
let data = load fashion-mnist split=test n=16
data | classify | report as "clean"
data | attack fgsm eps=4/255 | classify | report as "fgsm eps=4/255"
"""

do {
    let result = try DPL.run(source: script, settings: ["batch": "16"], name: "accuracy-report.dpl")
    for row in result.rows {
        let clean = row.cleanAccuracy?.estimate.map { String(format: "%.1f%%", $0 * 100) } ?? "–"
        let robust = row.robustAccuracy?.estimate.map { String(format: "%.1f%%", $0 * 100) } ?? "–"
        print("\(row.label): n=\(row.n) clean=\(clean) robust=\(robust)")
        if let interval = row.robustAccuracy {
            print(String(format: "  robust 95%% interval [%.3f, %.3f]; %d of %d samples flipped",
                         interval.lower95, interval.upper95,
                         row.samples.filter { $0.cleanCorrect && !$0.robustCorrect }.count, row.n))
        }
    }
} catch let error as DPLError {
    // Diagnostics carry file:line:col; `description` is what `dpl` would print.
    FileHandle.standardError.write(Data((error.description + "\n").utf8))
    exit(error.kind == .runtime ? 2 : 1)
}
