import Foundation

// MARK: - Axes

/// An axis range widened to round numbers, with ticks every 1, 2 or 5 × 10^k (about five of
/// them), as a reader would draw it by hand.
struct Axis {
    let low: Double
    let high: Double
    let step: Double

    init(values: [Double]) {
        // Callers keep coordinates finite and within ±1e300 (`LineChart.largestCoordinate`);
        // anything else is clamped there, so no arithmetic below overflows or traps.
        let limit = LineChart.largestCoordinate
        let usable = values.filter(\.isFinite).map { min(max($0, -limit), limit) }
        var low = usable.min() ?? 0, high = usable.max() ?? 1
        if high - low < 1e-12 * max(1, abs(high)) {
            // One distinct value: centre it in a range of a sensible size.
            // At least 1e-300, so a subnormal value still gets a range with a usable step.
            let pad = low == 0 ? 1 : max(abs(low) * 0.1, 1e-300)
            low -= pad
            high += pad
        }
        let rough = (high - low) / 5
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        self.step = step
        self.low = (low / step).rounded(.down) * step
        self.high = (high / step).rounded(.up) * step
    }

    /// The tick positions from `low` to `high`.
    var ticks: [Double] {
        let count = ((high - low) / step).rounded()
        // `Int(_:)` traps on NaN and infinity; the range is clamped, so this only guards.
        guard count.isFinite, count >= 0, count <= 1_000 else { return [low, high] }
        return (0...Int(count)).map { low + Double($0) * step }
    }

    /// A tick's text with as many decimals as the step needs.
    func label(_ value: Double) -> String {
        let exponent = -log10(step).rounded(.down)
        let decimals = exponent.isFinite ? min(max(0, Int(exponent)), 320) : 0
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}
