import DPLTensor
import Foundation

// MARK: - Square Attack

/// Square Attack (Andriushchenko, Croce, Flammarion & Hein, ECCV 2020): a score-based
/// random search that needs no gradients, so it is the check for gradient masking. Following
/// AutoAttack's `square.py`:
///
/// - L∞: start at vertical stripes `x ± ε` (one sign per channel and column); each query
///   proposes, in a random s×s window, a new value `±2ε` per channel added to the current
///   best point, projected into the ball and [0, 1];
/// - L2: start from a grid of ±"eta" blocks (centred rectangles weighted 1/(k+1)², halves of
///   opposite sign, randomly transposed) scaled to norm ε; each query moves the mass of a second
///   window into the first, reshaped by a new eta block, keeping ‖δ‖₂ = ε;
/// - the window side is `s = round(√(p·H·W))` with p from `pInit` halved at queries
///   10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000 on a 10 000-query scale rescaled to
///   `queries` (L2: s ≥ 3 and odd);
/// - a proposal replaces the current point if it raises the score or succeeds; a sample stops
///   once it succeeds.
///
/// The score is minus the margin (`loss=margin`, the default) or the cross-entropy
/// (`loss=ce`), each averaged over `eot` calls. Differences from the reference: windows,
/// signs and transposes are drawn per sample from keyed streams (seed, "attack.square",
/// step = restart, call = query), not shared across the batch, so a sample's attack does not
/// depend on its batch; and restarts keep the union of successes, else the best-scoring point.
public struct SquareAttack: Attack {
    /// The budget.
    public let budget: AttackBudget
    /// Queries per restart (each one forward pass per EOT draw).
    public let queries: Int
    /// The initial fraction of pixels a window covers.
    public let pInit: Float
    /// Independent runs.
    public let restarts: Int
    /// Calls averaged per score.
    public let eotSamples: Int
    /// The score.
    public let loss: AttackLoss
    /// The seed of the random search.
    public let seed: UInt64

    /// Square Attack with its settings.
    /// - Throws: `AttackError` for queries < 1, restarts < 1, eot < 1, p outside (0, 1], or
    ///   the `dlr` loss (Square scores with margin or ce).
    public init(budget: AttackBudget, queries: Int = 5000, pInit: Float = 0.8, restarts: Int = 1,
                eot: Int = 1, loss: AttackLoss = .margin, seed: UInt64 = 0) throws {
        self.budget = budget
        self.queries = try validatedCount(queries, "queries", attack: "square", minimum: 1, maximum: DefenseCallIndex.maxIteration - 1)
        guard pInit > 0, pInit <= 1 else {
            throw AttackError("square", "p=\(pInit) must be in (0, 1]; AutoAttack uses 0.8")
        }
        self.pInit = pInit
        self.restarts = try validatedCount(restarts, "restarts", attack: "square", minimum: 1, maximum: DefenseCallIndex.maxRestart)
        self.eotSamples = try validatedEOT(eot, attack: "square")
        guard loss != .dlr else {
            throw AttackError("square", "loss=dlr is not a Square Attack score; use loss=margin or loss=ce")
        }
        self.loss = loss
        self.seed = seed
    }

    /// `square`.
    public var name: String { "square" }
    /// Square uses scores only.
    public var needsGradients: Bool { false }
    /// norm, eps, queries, p, restarts, loss, eot, seed.
    public var settings: [AttackSetting] {
        [AttackSetting("norm", "\(budget.norm)"), AttackSetting("eps", "\(budget.epsilon)"),
         AttackSetting("queries", "\(queries)"), AttackSetting("p", "\(pInit)"),
         AttackSetting("restarts", "\(restarts)"), AttackSetting("loss", "\(loss)"),
         AttackSetting("eot", "\(eotSamples)"), AttackSetting("seed", "\(seed)")]
    }

    /// AutoAttack's schedule of p (`p_selection`), on a 10 000-query scale.
    func p(atQuery query: Int) -> Float {
        let scaled = Int(Double(query) / Double(queries) * 10_000)
        let halvings: [(above: Int, divisor: Float)] = [
            (8000, 512), (6000, 256), (4000, 128), (2000, 64), (1000, 32), (500, 16), (200, 8), (50, 4), (10, 2),
        ]
        for (above, divisor) in halvings where scaled > above { return pInit / divisor }
        return pInit
    }

    /// Runs all restarts.
    public func perturb(_ batch: AttackBatch, against defense: Defense) throws -> AttackOutcome {
        let shape = batch.images.shape
        let (channels, height, width) = (shape[1], shape[2], shape[3])
        if budget.norm == .l2 && Swift.min(height, width) < 5 {
            throw AttackError("square", "the L2 Square Attack needs images of at least 5×5 pixels, got \(height)×\(width)")
        }
        let clean = batch.images.scalars, size = batch.width
        var best = BestPoints(clean: clean, samples: batch.count)
        var calls = 0
        let geometry = Geometry(channels: channels, height: height, width: width)
        for restart in 0..<restarts {
            let key = RandomKey(seed: seed, purpose: RandomPurpose("attack.\(name)"), step: restart)
            // Start.
            var current = clean
            for n in 0..<batch.count {
                var stream = key.forCall(0).stream(sample: batch.sampleIDs[n])
                let range = (n * size)..<((n + 1) * size)
                let start = budget.norm == .linf
                    ? linfStart(Array(clean[range]), geometry, &stream)
                    : l2Start(Array(clean[range]), geometry, &stream)
                current.replaceSubrange(range, with: start)
            }
            var scored = try score(current, rows: Array(0..<batch.count), batch: batch, restart: restart, query: 0, defense: defense, calls: &calls)
            var scores = scored.values
            var done = scored.success
            best.offer(current, losses: scores, success: done)
            func observe(_ query: Int) {
                batch.observeStep?(AttackStep(restart: restart, restarts: restarts, iteration: query, iterations: queries + 1,
                                              losses: scores, fooled: best.found.filter { $0 }.count, samples: batch.count))
            }
            observe(0)

            for query in 0..<queries {
                let active = (0..<batch.count).filter { !done[$0] }
                if active.isEmpty { break }
                let side = windowSide(p: p(atQuery: query), geometry)
                var proposals: [Float] = []
                proposals.reserveCapacity(active.count * size)
                for n in active {
                    var stream = key.forCall(UInt64(query + 1)).stream(sample: batch.sampleIDs[n])
                    let range = (n * size)..<((n + 1) * size)
                    let proposal = budget.norm == .linf
                        ? linfProposal(Array(current[range]), clean: Array(clean[range]), side: side, geometry, &stream)
                        : l2Proposal(Array(current[range]), clean: Array(clean[range]), side: side, geometry, &stream)
                    proposals += proposal
                }
                scored = try score(proposals, rows: active, batch: batch, restart: restart, query: query + 1, defense: defense, calls: &calls)
                for (k, n) in active.enumerated() where scored.values[k] > scores[n] || scored.success[k] {
                    scores[n] = scored.values[k]
                    done[n] = scored.success[k]
                    current.replaceSubrange((n * size)..<((n + 1) * size), with: proposals[(k * size)..<((k + 1) * size)])
                }
                best.offer(current, losses: scores, success: done)
                observe(query + 1)
            }
        }
        let none = [Bool](repeating: false, count: batch.count)
        return AttackOutcome(adversarial: try Tensor(shape: shape, scalars: best.points), foundDuringSearch: best.found,
                             zeroGradient: none, nonFiniteGradient: none, defenseCalls: calls)
    }

    // MARK: Scoring

    /// Scores and successes of the points of the samples `rows` (flat, in that order).
    private func score(_ points: [Float], rows: [Int], batch: AttackBatch, restart: Int, query: Int,
                       defense: Defense, calls: inout Int) throws -> (values: [Float], success: [Bool]) {
        let subset = try AttackBatch(images: try batch.images.gather(rows: rows), labels: rows.map { batch.labels[$0] },
                                     sampleIDs: rows.map { batch.sampleIDs[$0] }, targets: batch.targets.map { t in rows.map { t[$0] } })
        var oracle = LossOracle(defense: defense, loss: loss, batch: subset, eotSamples: eotSamples)
        let result = try oracle.evaluate(points, restart: restart, iteration: query, withGradient: false)
        calls += oracle.calls
        return (result.values, result.success)
    }

    // MARK: Geometry

    struct Geometry {
        let channels: Int, height: Int, width: Int
        var pixels: Int { height * width }
    }

    /// `round(√(p·H·W))`, at least 1 (L∞) or 3 and odd (L2), at most the image side.
    private func windowSide(p: Float, _ g: Geometry) -> Int {
        let limit = Swift.min(g.height, g.width)
        var side = Int((Double(p) * Double(g.pixels)).squareRoot().rounded())
        if budget.norm == .linf { return Swift.min(Swift.max(side, 1), limit) }
        side = Swift.max(side, 3)
        if side % 2 == 0 { side += 1 }
        if side > limit { side = limit % 2 == 1 ? limit : limit - 1 }
        return side
    }

    /// A window corner in `0..<(extent − side)` as the reference draws it (0 when the window
    /// fills the extent).
    private func corner(_ extent: Int, _ side: Int, _ stream: inout RandomStream) -> Int {
        extent - side > 0 ? stream.nextInt(below: extent - side) : 0
    }

    private func randomSign(_ stream: inout RandomStream) -> Float {
        stream.nextUniform() < 0.5 ? -1 : 1
    }

    // MARK: L∞

    private func linfStart(_ x: [Float], _ g: Geometry, _ stream: inout RandomStream) -> [Float] {
        var out = x
        for c in 0..<g.channels {
            for col in 0..<g.width {
                let sign = randomSign(&stream)
                for row in 0..<g.height {
                    let i = (c * g.height + row) * g.width + col
                    out[i] = Swift.min(Swift.max(x[i] + budget.epsilon * sign, 0), 1)
                }
            }
        }
        return out
    }

    private func linfProposal(_ current: [Float], clean: [Float], side: Int, _ g: Geometry, _ stream: inout RandomStream) -> [Float] {
        let top = corner(g.height, side, &stream), left = corner(g.width, side, &stream)
        var out = current
        for c in 0..<g.channels {
            let change = 2 * budget.epsilon * randomSign(&stream)
            for row in top..<(top + side) {
                for col in left..<(left + side) { out[(c * g.height + row) * g.width + col] += change }
            }
        }
        budget.project(&out, around: clean, width: out.count)
        return out
    }

    // MARK: L2

    /// Centred nested rectangles weighted 1/(k+1)², normalized to unit L2 norm (`eta_rectangles`).
    private func etaRectangles(_ rows: Int, _ cols: Int) -> [Float] {
        var delta = [Float](repeating: 0, count: rows * cols)
        var (r, c) = (rows / 2, cols / 2)
        for k in 0..<Swift.max(rows / 2 + 1, cols / 2 + 1) {
            let weight = 1 / Float((k + 1) * (k + 1))
            for i in Swift.max(r, 0)..<Swift.min(r + 2 * k + 1, rows) {
                for j in Swift.max(c, 0)..<Swift.min(c + 2 * k + 1, cols) { delta[i * cols + j] += weight }
            }
            r -= 1
            c -= 1
        }
        let norm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? delta.map { $0 / norm } : delta
    }

    /// An s×s block: rectangles on the top half, their negative on the bottom half, unit L2
    /// norm, transposed with probability 1/2 (`eta`).
    private func eta(_ side: Int, _ stream: inout RandomStream) -> [Float] {
        let upper = etaRectangles(side / 2, side), lower = etaRectangles(side - side / 2, side)
        var block = upper + lower.map { -$0 }
        let norm = block.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { block = block.map { $0 / norm } }
        if stream.nextUniform() > 0.5 {
            var transposed = block
            for i in 0..<side { for j in 0..<side { transposed[j * side + i] = block[i * side + j] } }
            block = transposed
        }
        return block
    }

    /// `clean + ε·δ/‖δ‖₂`, clipped to [0, 1].
    private func l2Scaled(_ delta: [Float], clean: [Float]) -> [Float] {
        let norm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let scale = budget.epsilon / (norm + 1e-12)
        return clean.indices.map { Swift.min(Swift.max(clean[$0] + delta[$0] * scale, 0), 1) }
    }

    private func l2Start(_ x: [Float], _ g: Geometry, _ stream: inout RandomStream) -> [Float] {
        var delta = [Float](repeating: 0, count: x.count)
        let side = g.height / 5, margin = (g.height - side * 5) / 2
        var top = margin
        for _ in 0..<(g.height / side) {
            var left = margin
            for _ in 0..<(g.width / side) {
                let block = eta(side, &stream)
                for c in 0..<g.channels {
                    let sign = randomSign(&stream)
                    for i in 0..<side where top + i < g.height {
                        for j in 0..<side where left + j < g.width {
                            delta[(c * g.height + top + i) * g.width + left + j] += block[i * side + j] * sign
                        }
                    }
                }
                left += side
            }
            top += side
        }
        return l2Scaled(delta, clean: x)
    }

    private func l2Proposal(_ current: [Float], clean: [Float], side: Int, _ g: Geometry, _ stream: inout RandomStream) -> [Float] {
        var delta = current.indices.map { current[$0] - clean[$0] }
        let (top, left) = (corner(g.height, side, &stream), corner(g.width, side, &stream))
        let (top2, left2) = (corner(g.height, side, &stream), corner(g.width, side, &stream))
        func index(_ c: Int, _ row: Int, _ col: Int) -> Int { (c * g.height + row) * g.width + col }
        func inWindow(_ row: Int, _ col: Int, _ t: Int, _ l: Int) -> Bool { row >= t && row < t + side && col >= l && col < l + side }

        let imageNorm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var windowsNormSquared: Float = 0
        for c in 0..<g.channels {
            for row in 0..<g.height {
                for col in 0..<g.width where inWindow(row, col, top, left) || inWindow(row, col, top2, left2) {
                    let d = delta[index(c, row, col)]
                    windowsNormSquared += d * d
                }
            }
        }
        let block = eta(side, &stream)
        let budgetLeft = Swift.max(budget.epsilon * budget.epsilon - imageNorm * imageNorm, 0)
        let target = (budgetLeft / Float(g.channels) + windowsNormSquared).squareRoot()
        var newWindows: [[Float]] = []
        for c in 0..<g.channels {
            let sign = randomSign(&stream)
            var old = [Float](repeating: 0, count: side * side)
            for i in 0..<side { for j in 0..<side { old[i * side + j] = delta[index(c, top + i, left + j)] } }
            let oldNorm = old.reduce(0) { $0 + $1 * $1 }.squareRoot()
            var fresh = (0..<(side * side)).map { block[$0] * sign + old[$0] / (1e-12 + oldNorm) }
            let freshNorm = fresh.reduce(0) { $0 + $1 * $1 }.squareRoot()
            fresh = fresh.map { $0 / (1e-12 + freshNorm) * target }
            newWindows.append(fresh)
        }
        for c in 0..<g.channels {
            for i in 0..<side { for j in 0..<side { delta[index(c, top2 + i, left2 + j)] = 0 } }
        }
        for c in 0..<g.channels {
            for i in 0..<side { for j in 0..<side { delta[index(c, top + i, left + j)] = newWindows[c][i * side + j] } }
        }
        return l2Scaled(delta, clean: clean)
    }
}
