import Foundation
import DPLAttacks
import DPLData
import DPLLang
import DPLTensor

// MARK: - Helpers every image stage uses

extension ImageRecord {
    /// The record a stage works on: a fresh one for a dataset, a copy for a record (stages
    /// never mutate their input, so a variable holding a record stays as it was).
    static func from(_ input: Value?, stage: String) throws -> ImageRecord {
        if let dataset = input?.runtimeValue(as: DatasetValue.self) { return ImageRecord(dataset: dataset.dataset) }
        if let record = input?.runtimeValue(as: ImageRecord.self) { return ImageRecord(copying: record) }
        throw RuntimeError("`\(stage)` needs images piped in (a dataset from `load` or a batch), but received \(input.map { "`\($0.description)`" } ?? "nothing")")
    }

    /// The sample ids as the 64-bit keys random draws use.
    var sampleKeys: [UInt64] { ids.map(\.key) }

    /// Row ranges of at most `size` samples.
    func batchRanges(size: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: max(1, size)).map { $0..<min(count, $0 + max(1, size)) }
    }

    /// Rows `range` of a tensor with one row per sample.
    static func rows(_ tensor: Tensor, _ range: Range<Int>) throws -> Tensor {
        range == 0..<(tensor.shape.first ?? 0) ? tensor : try tensor.slice(axis: 0, range: range)
    }

    /// Runs the pending transforms on the current images (for stages that need pixels but do
    /// not classify), storing the result as `current` and as the `purified` snapshot.
    func materialize(batchSize: Int, call: UInt64) throws {
        guard !pendingTransforms.isEmpty else { return }
        var pieces: [Tensor] = []
        let keys = sampleKeys
        try withoutGradients {
            for range in batchRanges(size: batchSize) {
                pieces.append(try pendingTransforms.apply(ImageRecord.rows(current, range), sampleIDs: Array(keys[range]), call: call))
            }
        }
        current = try Tensor.concat(pieces, axis: 0)
        takeSnapshot("purified", current)
        pendingTransforms = []
    }
}

/// The session settings a stage reads, with their defaults.
struct SessionSettings {
    let values: [String: Value]

    init(_ context: StageContext) {
        values = context.settings
        if let threads = values["threads"]?.integerValue, threads >= 1 { EngineThreads.count = threads }
    }

    /// Images per batch (`set batch = 64`).
    var batchSize: Int { max(1, values["batch"]?.integerValue ?? 64) }
    /// The session seed (`set seed = 0`).
    var seed: UInt64 { UInt64(max(0, values["seed"]?.integerValue ?? 0)) }
    /// The output folder: the `out` setting (`set out = "out"`); in smoke mode its `smoke/` subfolder, so a smoke run's default
    /// files (checkpoints, attack journals) never mix with a real run's.
    var outputFolder: String {
        let out = values["out"]?.textValue ?? "out"
        return values["smoke"]?.boolValue == true ? (out as NSString).appendingPathComponent(SmokeMode.folder) : out
    }
    /// This run's shard (`dpl run --shard K/N`), nil for an unsharded run.
    func shard() throws -> ShardSpec? {
        guard let text = values[ShardSpec.settingName]?.textValue else { return nil }
        do { return try ShardSpec(parsing: text) } catch { throw RuntimeError("\(error)") }
    }
}

/// Parses `single`, `vote:K` or `worst:K`.
func parseEvaluationRule(_ text: String) throws -> EvaluationRule {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    switch (parts.first, parts.count) {
    case ("single", 1): return .single
    case ("vote", 2), ("worst", 2):
        guard let k = Int(parts[1]), k >= 1 else { break }
        return try (parts[0] == "vote" ? EvaluationRule.vote(k) : .worst(k)).validated()
    default: break
    }
    throw RuntimeError("eval=\"\(text)\" is not an evaluation rule; use \"single\", \"vote:K\" or \"worst:K\" with a whole K ≥ 1")
}
