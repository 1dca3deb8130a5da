import Foundation
import DPLAttacks
import DPLData
import DPLLang
import DPLTensor

/// `save "x.npz"` and `save "x.npy"`: a batch as NumPy arrays. A `.npz` holds every array (as
/// a `.safetensors` does); a `.npy` holds one, which `array=` names unless only one exists.
extension SaveStage {
    /// The arrays a batch can give: its image snapshots, labels and sample ids.
    static let arrayNames = ["clean", "adversarial", "purified", "current", "labels", "sample_ids"]

    static let arrayParameter = Parameter(
        "array", .choice(arrayNames),
        doc: "For .npy: the one array the file holds; needed for a batch (which may hold clean, adversarial and purified images), clean when a dataset is saved.")

    /// `dpl check`'s part: a `.npy` of a batch must name its array, and `array=` means nothing
    /// for other files. What is piped in may be unknown here (a variable); the run then applies
    /// the same rule to the actual value.
    static func checkArrayChoice(_ call: StaticCall) -> [StaticProblem] {
        guard let path = call.text("path") else { return [] }
        let isNPY = (path as NSString).pathExtension.lowercased() == "npy"
        if !isNPY, call.arguments["array"] != nil {
            return [StaticProblem("`array=` chooses the one array of a .npy file; `\(path)` is not one",
                                  fix: "drop `array=`, or save to a .npy file (a .npz holds every array)", at: "array")]
        }
        guard isNPY, call.arguments["array"] == nil, case .kind(let kind)? = call.input,
              kind == RuntimeKinds.batch || kind == RuntimeKinds.results else { return [] }
        return [ambiguousNPY(path)]
    }

    static func ambiguousNPY(_ path: String) -> StaticProblem {
        StaticProblem("a .npy file holds one array, but a batch may hold clean, adversarial and purified images, labels and sample ids; `save \"\(path)\"` does not say which",
                      fix: "name it: `save \"\(path)\" array=adversarial` (or clean, purified, current, labels, sample_ids), or save every array with `save \"\(((path as NSString).deletingPathExtension)).npz\"`",
                      at: "path")
    }

    /// Writes `.npz` (every array) or `.npy` (the one `array` names).
    /// The `.npz` also holds `provenance`, the JSON line a `.safetensors` carries in its
    /// metadata, as a string array; a `.npy` has nowhere to put it.
    static func writeNumPy(_ input: Value, to path: String, array: String?, provenance: String, context: StageContext) throws {
        let isDataset = input.runtimeValue(as: DatasetValue.self) != nil
        let record: ImageRecord
        if let dataset = input.runtimeValue(as: DatasetValue.self) { record = ImageRecord(dataset: dataset.dataset) }
        else if let given = input.runtimeValue(as: ImageRecord.self) { record = ImageRecord(copying: given) }
        else { throw RuntimeError("only images (a dataset or a batch) can be saved as .npz or .npy; save a model as .safetensors, results as .json or .csv") }
        try record.materialize(batchSize: SessionSettings(context).batchSize, call: DefenseCallIndex.make(.analysis))
        let arrays = try numpyArrays(of: record)
        if (path as NSString).pathExtension.lowercased() == "npz" {
            let all = arrays + [("provenance", try NPYArray(shape: [], elements: .unicode(provenance)))]
            try writeAtomically(try StoredZip.archive(all.map { ($0.name + ".npy", try $0.array.encoded()) }, path: path), to: path)
            return
        }
        let images = arrays.filter { !["labels", "sample_ids"].contains($0.name) }
        let chosen: String
        if let array { chosen = array }
        else if isDataset || images.count == 1 { chosen = "clean" }
        else {
            let problem = ambiguousNPY(path)
            throw RuntimeError(problem.message + "; " + (problem.fix ?? ""))
        }
        // `current` is stored under its own name only when it is none of the snapshots.
        let found = arrays.first { $0.name == chosen }
            ?? (chosen == "current" ? arrays.first { record.images(named: $0.name)?.scalars == record.current.scalars } : nil)
        guard let found else {
            throw RuntimeError("the batch holds no `\(chosen)` images; it holds \(images.map { "`\($0.name)`" }.joined(separator: ", ")); choose one of them, or labels or sample_ids, with `array=`")
        }
        try writeAtomically(try found.array.encoded(), to: path)
    }

    /// Images `[N, C, H, W]` float32 in [0, 1] — clean, each snapshot, and `current` when it is
    /// none of those — then labels (int64) and sample ids (uint64, as in results files).
    static func numpyArrays(of record: ImageRecord) throws -> [(name: String, array: NPYArray)] {
        var images: [(name: String, tensor: Tensor)] = [("clean", record.clean)]
        images += record.snapshots.map { ($0.name, $0.images) }
        if !images.contains(where: { $0.tensor.scalars == record.current.scalars }) { images.append(("current", record.current)) }
        var arrays = try images.map { ($0.name, try NPYArray(shape: $0.tensor.shape, elements: .float32($0.tensor.scalars))) }
        arrays.append(("labels", try NPYArray(shape: [record.count], elements: .int64(record.labels.map(Int64.init)))))
        arrays.append(("sample_ids", try NPYArray(shape: [record.count], elements: .uint64(record.sampleKeys))))
        return arrays
    }
}
