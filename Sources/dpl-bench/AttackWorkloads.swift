import DPLAttacks
import DPLDiffusion
import DPLNN
import DPLTensor

// MARK: - Attacks

/// One attack run per timed body: the cost researchers pay per batch of an evaluation.
/// Models are freshly initialized (timing does not depend on the weights' values) on 28×28
/// single-channel images; labels are the model's own predictions, so every sample is attacked.
enum AttackWorkloads {
    static let all: [Workload] = [pgdCNN, apgdThroughPurification]

    /// Ten L∞ PGD steps (ε = 8/255, step 2/255, random start) against `cnn-small`, batch 128:
    /// 10 forward+backward passes and one final forward.
    static let pgdCNN = Workload("pgd10_linf_cnn_b128",
                                 flops: 10 * WorkloadFlops.cnnInputGradient(batch: 128) + WorkloadFlops.cnnForward(batch: 128)) {
        let model = try CNNClassifier(.small, key: RandomKey(seed: 1, purpose: "bench.cnn"))
        let batch = try labelledBatch(size: 128, model: model)
        let pgd = try PGD(budget: AttackBudget(norm: .linf, epsilon: 8.0 / 255), steps: 10, stepSize: 2.0 / 255,
                          randomStart: true)
        let defense = Defense.classifier(model, description: "classify cnn-small")
        return { _ = try runAttack(pgd, on: batch, against: defense) }
    }

    /// APGD (20 iterations, ce loss, ε = 8/255) with EOT over 4 draws through `unet-tiny`
    /// DDPM purification at t = 20 (`seed=random`, `grad=full`, automatic checkpointing) and
    /// `cnn-small`, batch 16: 21 gradient evaluations × 4 draws = 84 purifications with backward.
    static let apgdThroughPurification = Workload(
        "apgd20_eot4_purify_t20_b16",
        flops: 84 * (20 * WorkloadFlops.unetInputGradient(batch: 16) + WorkloadFlops.cnnInputGradient(batch: 16))) {
        let classifier = try CNNClassifier(.small, key: RandomKey(seed: 1, purpose: "bench.cnn"))
        let unet = try UNet(.tiny, key: RandomKey(seed: 1, purpose: "bench.unet"))
        let settings = PurificationSettings(t: 20, sampler: .ddpm, seed: .random(stream: SeedMode.defaultSeed), gradient: .full)
        let defense = Defense.diffusionPurified(try Purifier(model: unet, settings: settings), classifier: classifier)
        let batch = try labelledBatch(size: 16, model: classifier)
        let apgd = try APGD(budget: AttackBudget(norm: .linf, epsilon: 8.0 / 255), steps: 20, loss: .crossEntropy, eot: 4)
        return { _ = try runAttack(apgd, on: batch, against: defense) }
    }

    /// Images uniform in [0, 1] labelled with `model`'s predictions.
    static func labelledBatch(size: Int, model: ImageClassifier) throws -> AttackBatch {
        let ids = (0..<UInt64(size)).map { $0 }
        let images = try Tensor.uniform(shape: [size, 1, 28, 28], key: RandomKey(seed: 1, purpose: "bench.images"), sampleIDs: ids)
        let labels = try withoutGradients { try model.logits(images).argmax(axis: 1) }
        return try AttackBatch(images: images, labels: labels, sampleIDs: ids)
    }
}
