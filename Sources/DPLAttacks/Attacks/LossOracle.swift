import DPLTensor

// MARK: - Loss, logits and input gradient, averaged over EOT draws

/// Evaluates an attack loss at a batch of points through a defense: the loss per sample, the
/// logits, and (when asked) the input gradient, each averaged over `eotSamples` calls with
/// distinct call indices (Expectation over Transformation, Athalye et al., 2018).
///
/// The loss is the mean of the per-draw losses (the function whose gradient is the averaged
/// gradient). Logits are averaged too, and the attack's own success test reads them: with
/// a randomized defense one lucky draw does not count as a success during the search (the
/// verdict that counts is the evaluation's, with fresh draws).
///
/// Gradient health is recorded per sample: an identically zero gradient, or a NaN/infinity
/// (which is replaced by 0 so the step stays finite, and flagged).
struct LossOracle {
    let defense: Defense
    let loss: AttackLoss
    let batch: AttackBatch
    let eotSamples: Int
    /// The shape of the points evaluated (the batch's image shape).
    let shape: [Int]

    private(set) var calls = 0
    private(set) var zeroGradient: [Bool]
    private(set) var nonFiniteGradient: [Bool]
    private(set) var classes = 0

    init(defense: Defense, loss: AttackLoss, batch: AttackBatch, eotSamples: Int) {
        self.defense = defense
        self.loss = loss
        self.batch = batch
        self.eotSamples = eotSamples
        self.shape = batch.images.shape
        self.zeroGradient = Array(repeating: false, count: batch.count)
        self.nonFiniteGradient = Array(repeating: false, count: batch.count)
    }

    /// One evaluation at `points` (flat, the batch's shape).
    struct Evaluation {
        /// Per-sample loss, averaged over the EOT draws.
        var values: [Float]
        /// Logits `[N * classes]` averaged over the EOT draws.
        var logits: [Float]
        /// The averaged input gradient, or empty when not asked for.
        var gradient: [Float]
        /// Per sample: whether the averaged logits mean success (misclassified, or target hit).
        var success: [Bool]
    }

    /// The loss, logits and (if `withGradient`) input gradient at `points`, using the calls
    /// `DefenseCallIndex.make(.attack, restart:, iteration:, draw: 0..<eotSamples)`.
    mutating func evaluate(_ points: [Float], restart: Int, iteration: Int, withGradient: Bool) throws -> Evaluation {
        let n = batch.count
        let x = try Tensor(shape: shape, scalars: points)
        var logitSum: [Float] = []
        var gradientSum = [Float](repeating: 0, count: withGradient ? points.count : 0)
        var valueSum = [Float](repeating: 0, count: n)
        for draw in 0..<eotSamples {
            let call = DefenseCallIndex.make(.attack, restart: restart, iteration: iteration, draw: draw)
            calls += 1
            if withGradient {
                let leaf = x.requiringGrad()
                let logits = try withGradients { try defense.logits(leaf, sampleIDs: batch.sampleIDs, call: call) }
                try checkClasses(logits)
                let (values, seed) = loss.evaluate(logits: logits.scalars, classes: classes, labels: batch.labels, targets: batch.targets)
                for s in 0..<n { valueSum[s] += values[s] }
                let grad = try gradients(of: logits, wrt: [leaf], seed: Tensor(shape: logits.shape, scalars: seed))[0]
                accumulate(&logitSum, logits.scalars)
                grad.withUnsafeScalars { g in for i in 0..<gradientSum.count { gradientSum[i] += g[i] } }
            } else {
                let logits = try withoutGradients { try defense.logits(x, sampleIDs: batch.sampleIDs, call: call) }
                try checkClasses(logits)
                let values = loss.evaluate(logits: logits.scalars, classes: classes, labels: batch.labels, targets: batch.targets).values
                for s in 0..<n { valueSum[s] += values[s] }
                accumulate(&logitSum, logits.scalars)
            }
        }
        let scale = 1 / Float(eotSamples)
        for i in logitSum.indices { logitSum[i] *= scale }
        let values = valueSum.map { $0 * scale }
        if withGradient {
            let width = n == 0 ? 0 : points.count / n
            for s in 0..<n {
                var allZero = true, finite = true
                for j in 0..<width {
                    let v = gradientSum[s * width + j] * scale
                    if !v.isFinite { finite = false; gradientSum[s * width + j] = 0; continue }
                    if v != 0 { allZero = false }
                    gradientSum[s * width + j] = v
                }
                if !finite { nonFiniteGradient[s] = true } else if allZero { zeroGradient[s] = true }
            }
        }
        return Evaluation(values: values, logits: logitSum, gradient: gradientSum,
                          success: successes(logitSum))
    }

    /// Whether each sample's logits mean success for the attacker.
    func successes(_ logits: [Float]) -> [Bool] {
        let predictions = rowArgmax(logits, classes: classes)
        return predictions.indices.map { n in
            if let targets = batch.targets { return predictions[n] == targets[n] }
            return predictions[n] != batch.labels[n]
        }
    }

    private mutating func checkClasses(_ logits: Tensor) throws {
        let c = logits.shape[1]
        if classes == 0 {
            guard c >= loss.minimumClasses(targeted: batch.isTargeted) else {
                throw AttackError("attack", "the \(loss) loss needs at least \(loss.minimumClasses(targeted: batch.isTargeted)) classes but the defense gives \(c); use loss=ce")
            }
            if let bad = (batch.labels + (batch.targets ?? [])).first(where: { $0 < 0 || $0 >= c }) {
                throw AttackError("attack", "label \(bad) is outside the defense's \(c) classes")
            }
            classes = c
        }
    }

    private func accumulate(_ sum: inout [Float], _ values: [Float]) {
        if sum.isEmpty { sum = values; return }
        for i in sum.indices { sum[i] += values[i] }
    }
}
