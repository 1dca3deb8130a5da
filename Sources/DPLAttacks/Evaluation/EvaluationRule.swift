import DPLTensor
import Foundation

// MARK: - Evaluation rules

/// How the final verdict on an input is drawn from a (possibly randomized) defense.
public enum EvaluationRule: Equatable, Sendable, CustomStringConvertible {
    /// One fresh draw.
    case single
    /// The majority class over K draws. Ties go to the tied class with the largest softmax
    /// probability summed over the K draws, then to the smallest class index: deterministic,
    /// and it uses the defense's own confidence instead of an arbitrary order.
    case vote(Int)
    /// Correct only if all K draws are correct (the attacker wins with any one draw).
    case worst(Int)

    /// The number of draws the rule needs.
    public var draws: Int {
        switch self {
        case .single: return 1
        case .vote(let k), .worst(let k): return k
        }
    }

    /// `single`, `vote:K` or `worst:K`, as written in scripts.
    public var description: String {
        switch self {
        case .single: return "single"
        case .vote(let k): return "vote:\(k)"
        case .worst(let k): return "worst:\(k)"
        }
    }

    /// The rule written `single`, `vote:K` or `worst:K`.
    /// - Throws: `AttackError` for any other text or a bad K.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch (parts.first, parts.count) {
        case ("single", 1):
            self = .single
        case ("vote", 2), ("worst", 2):
            guard let k = Int(parts[1]) else {
                throw AttackError("evaluation", "eval=\(text) needs a whole number of draws after ':', e.g. eval=\(parts[0]):10")
            }
            self = try (parts[0] == "vote" ? EvaluationRule.vote(k) : .worst(k)).validated()
        default:
            throw AttackError("evaluation", "eval=\(text) is not a rule; use eval=single, eval=vote:K or eval=worst:K")
        }
    }

    /// Checks K.
    /// - Throws: `AttackError` when K is not between 1 and the call layout's draw limit.
    public func validated() throws -> EvaluationRule {
        guard draws >= 1, draws <= DefenseCallIndex.maxDraw + 1 else {
            throw AttackError("evaluation", "eval=\(self) needs K between 1 and \(DefenseCallIndex.maxDraw + 1)")
        }
        return self
    }
}

// MARK: - Verdicts

/// The verdict on one input under an evaluation rule.
public struct Verdict: Equatable, Sendable {
    /// The class the rule settles on: the single draw's, the vote's winner, or for `worst:K`
    /// the first wrong draw's class (the label when all K are right).
    public let prediction: Int
    /// Whether the input counts as correctly classified under the rule.
    public let correct: Bool
    /// Each draw's predicted class, in draw order.
    public let drawPredictions: [Int]
    /// The classifier's logits, averaged over the draws (one draw's own for a deterministic
    /// defense), summed in draw order so they are the same bits on every run.
    public var logits: [Float] = []
    /// The softmax probabilities, averaged over the draws: what a vote's ties are broken by.
    public var probabilities: [Float] = []

    public init(prediction: Int, correct: Bool, drawPredictions: [Int], logits: [Float] = [], probabilities: [Float] = []) {
        self.prediction = prediction
        self.correct = correct
        self.drawPredictions = drawPredictions
        self.logits = logits
        self.probabilities = probabilities
    }
}

/// The verdicts on `images` under `rule`, with draws `DefenseCallIndex.make(phase, draw: k)`.
///
/// A deterministic defense gives the same prediction on every draw, so it is called once
/// whatever K is.
/// - Throws: `AttackError` on inconsistent sizes or a bad K; errors of the defense pass through.
public func verdicts(of defense: Defense, on images: Tensor, labels: [Int], sampleIDs: [UInt64],
                     rule: EvaluationRule, phase: DefenseCallIndex.Phase) throws -> [Verdict] {
    let rule = try rule.validated()
    guard labels.count == sampleIDs.count else {
        throw AttackError("evaluation", "\(labels.count) labels were given for \(sampleIDs.count) samples")
    }
    let draws = defense.isRandomized ? rule.draws : 1
    var predictions = [[Int]](repeating: [], count: labels.count)
    var probabilitySums: [[Double]] = Array(repeating: [], count: labels.count)
    var logitSums: [[Double]] = Array(repeating: [], count: labels.count)
    try withoutGradients {
        for draw in 0..<draws {
            let logits = try defense.logits(images.detached(), sampleIDs: sampleIDs,
                                            call: DefenseCallIndex.make(phase, draw: draw))
            let classes = logits.shape[1]
            let z = logits.scalars
            for n in labels.indices {
                if labels[n] < 0 || labels[n] >= classes {
                    throw AttackError("evaluation", "label \(labels[n]) of sample \(sampleIDs[n]) is outside the defense's \(classes) classes")
                }
                let row = Array(z[(n * classes)..<((n + 1) * classes)])
                predictions[n].append(rowArgmax(row, classes: classes)[0])
                if probabilitySums[n].isEmpty { probabilitySums[n] = Array(repeating: 0, count: classes) }
                if logitSums[n].isEmpty { logitSums[n] = Array(repeating: 0, count: classes) }
                for c in 0..<classes { logitSums[n][c] += Double(row[c]) }
                let top = Double(row.max() ?? 0)
                let exps = row.map { Foundation.exp(Double($0) - top) }
                let total = exps.reduce(0, +)
                for c in 0..<classes { probabilitySums[n][c] += exps[c] / total }
            }
        }
    }
    func decide(_ n: Int) -> Verdict {
        let drawn = predictions[n]
        switch rule {
        case .single:
            return Verdict(prediction: drawn[0], correct: drawn[0] == labels[n], drawPredictions: drawn)
        case .vote:
            var counts = [Int: Int]()
            for p in drawn { counts[p, default: 0] += 1 }
            let most = counts.values.max() ?? 0
            // Among the tied classes, order by summed probability and, on equal sums, rank the
            // smaller index higher, so `max` picks the documented winner.
            let winner = counts.filter { $0.value == most }.map(\.key).max { a, b in
                let (pa, pb) = (probabilitySums[n][a], probabilitySums[n][b])
                return pa != pb ? pa < pb : a > b
            } ?? drawn[0]
            return Verdict(prediction: winner, correct: winner == labels[n], drawPredictions: drawn)
        case .worst:
            let wrong = drawn.first { $0 != labels[n] }
            return Verdict(prediction: wrong ?? labels[n], correct: wrong == nil, drawPredictions: drawn)
        }
    }
    return labels.indices.map { n in
        var verdict = decide(n)
        verdict.logits = logitSums[n].map { Float($0 / Double(draws)) }
        verdict.probabilities = probabilitySums[n].map { Float($0 / Double(draws)) }
        return verdict
    }
}
