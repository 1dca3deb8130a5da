import DPLTestSupport
import DPLNN
import DPLTensor
@testable import DPLAttacks

// MARK: - Models with known answers

/// A linear classifier `logits = W·flatten(x) + b`, differentiable through tensor ops.
final class LinearClassifier: ImageClassifier {
    let weight: Tensor   // [classes, features]
    let bias: Tensor     // [classes]
    var classCount: Int { weight.shape[0] }

    init(weight: Tensor, bias: Tensor) {
        self.weight = weight
        self.bias = bias
    }

    /// The binary model whose margin `z₁ − z₀` is `w·x + b`: rows −w/2 and w/2.
    static func binary(w: [Float], b: Float) -> LinearClassifier {
        let rows = w.map { -$0 / 2 } + w.map { $0 / 2 }
        return LinearClassifier(weight: try! Tensor(shape: [2, w.count], scalars: rows),
                                bias: try! Tensor(shape: [2], scalars: [-b / 2, b / 2]))
    }

    func logits(_ images: Tensor) throws -> Tensor {
        let flat = try images.flattened()
        return try Tensor.matmul(flat, weight, transposeA: false, transposeB: true) + bias
    }
}

/// A two-layer ReLU network with seeded random weights (a "small model" for attack comparisons).
final class TinyMLP: ImageClassifier {
    let w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor
    var classCount: Int { w2.shape[0] }

    init(features: Int, hidden: Int, classes: Int, seed: UInt64) {
        var random = TestRandom(seed: seed)
        w1 = random.tensor([hidden, features], -1, 1) * (2 / Float(features).squareRoot())
        b1 = random.tensor([hidden], -0.1, 0.1)
        w2 = random.tensor([classes, hidden], -1, 1) * (2 / Float(hidden).squareRoot())
        b2 = random.tensor([classes], -0.1, 0.1)
    }

    func logits(_ images: Tensor) throws -> Tensor {
        let flat = try images.flattened()
        let h = try (Tensor.matmul(flat, w1, transposeA: false, transposeB: true) + b1).relu()
        return try Tensor.matmul(h, w2, transposeA: false, transposeB: true) + b2
    }
}

/// A linear classifier computed row by row (broadcast product and a per-row sum), so each
/// sample's logits are bit-identical whatever batch it is in.
final class RowwiseLinear: ImageClassifier {
    let weight: Tensor   // [classes, features]
    var classCount: Int { weight.shape[0] }
    init(weight: Tensor) { self.weight = weight }

    func logits(_ images: Tensor) throws -> Tensor {
        let flat = try images.flattened().unsqueezed(axis: 1)
        return try (flat * weight).sum(axes: [2])
    }
}

// MARK: - Batches

/// A batch of `n` random images [n, c, h, w] in [low, high] with the given labels.
func makeBatch(n: Int, c: Int = 1, h: Int = 4, w: Int = 4, labels: [Int]? = nil, low: Float = 0, high: Float = 1,
               seed: UInt64 = 1, targets: [Int]? = nil) -> AttackBatch {
    var random = TestRandom(seed: seed)
    let images = random.tensor([n, c, h, w], low, high)
    return try! AttackBatch(images: images, labels: labels ?? Array(repeating: 1, count: n),
                            sampleIDs: (0..<n).map { UInt64(100 + $0) }, targets: targets)
}

/// Largest per-sample distance between two flat batches.
func maxDistance(_ a: Tensor, _ b: Tensor, norm: AttackNorm) -> Float {
    let n = a.shape[0], width = a.count / n
    return rowNorms(a.scalars.indices.map { a.scalars[$0] - b.scalars[$0] }, width: width, norm: norm).max() ?? 0
}
