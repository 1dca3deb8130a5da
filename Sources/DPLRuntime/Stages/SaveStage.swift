import Foundation
import DPLAttacks
import DPLData
import DPLLang
import DPLNN
import DPLTensor

/// `save "file"` — writes what is piped in, by the file's extension: a model to `.safetensors`;
/// images (a dataset or a batch) to `.safetensors` as tensors a PyTorch user loads with
/// `safetensors.torch.load_file`, to `.npz` (every array) or `.npy` (one, chosen by `array=`) for
/// NumPy (SaveStage+NumPy.swift), or to `.png` as a grid with one row per snapshot (clean,
/// adversarial, purified); results or a table to `.json`, or to `.csv` (one line per sample)
/// with `.summary.csv` beside it (one line per result).
/// Every write is atomic. SaveStage+Check.swift has what `dpl check` knows about a call.
enum SaveStage {
    static let signature = StageSignature(
        name: "save", doc: "Writes a model or images as tensors (.safetensors, or NumPy's .npz and .npy), results (.json, .csv) or an image grid (.png) atomically; passes its input on.",
        input: .kinds([RuntimeKinds.model, RuntimeKinds.results, RuntimeKinds.table, RuntimeKinds.batch, RuntimeKinds.dataset]),
        output: .any,
        parameters: [
            Parameter("path", .string, required: true, doc: "The file; relative paths are under the script's folder.",
                      fileExtensions: ["safetensors", "npz", "npy", "json", "csv", "png"], writesFile: true),
            Parameter("n", .integer, default: .number(8), minimum: 1, doc: "Images per row in a .png grid."),
            arrayParameter,
        ], positional: ["path"], reportsItself: true, check: { check($0) })

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { input, arguments, _, context in
            let args = ArgumentReader(stage: "save", arguments: arguments)
            let given = try state.writablePath(try args.text("path"), base: context.baseDirectory)
            let ext = (given as NSString).pathExtension.lowercased()
            let shard = try SessionSettings(context).shard()
            guard let input else { throw RuntimeError("`save` needs something piped in") }
            // Every shard writes its own files of results and images (its own samples), so
            // parallel shards never overwrite each other; a model is the same in every shard.
            let isModel = input.runtimeValue(as: ModelValue.self) != nil
            let path = shard.map { !isModel && ["json", "csv", "png", "npz", "npy", "safetensors"].contains(ext) ? $0.fileName(for: given) : given } ?? given
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if arguments["array"] != nil, ext != "npy" {
                throw RuntimeError("`array=` chooses the one array of a .npy file; `\(given)` is not one: drop `array=`, or save to a .npy file (a .npz holds every array)")
            }
            var saved = path
            switch (ext, input) {
            case ("safetensors", .runtime(let value as ModelValue)):
                try ModelFile.write(value.model, metadata: value.metadata, to: path)
                value.path = path
            case ("safetensors", _):
                let provenance = ProvenanceDocument.provenance(context: context, files: state.openedFiles)
                try writeImages(input, to: path, provenance: try JSONCoding.line(provenance), context: context)
            case ("npz", _), ("npy", _):
                let provenance = ProvenanceDocument.provenance(context: context, files: state.openedFiles)
                try writeNumPy(input, to: path, array: arguments["array"]?.textValue, provenance: try JSONCoding.line(provenance), context: context)
            case ("png", _):
                try writeGrid(input, to: path, columns: try args.integer("n"), context: context)
                let provenance = ProvenanceDocument.provenance(context: context, files: state.openedFiles)
                if let tagged = ProvenanceEmbedding.png(try readFileBytes(path), texts: [
                    (ProvenanceEmbedding.provenanceKeyword, try JSONCoding.line(provenance)),
                    (ProvenanceEmbedding.runKeyword, try JSONCoding.line(ProvenanceDocument.run(file: try args.text("path"), started: state.started))),
                ]) { try writeAtomically(tagged, to: path) }
            case ("json", _), ("csv", _):
                let rows = try resultRows(input)
                let provenance = ProvenanceDocument.provenance(context: context, files: state.openedFiles)
                if ext == "json" {
                    try writeAtomically(Array(try ResultWriter.json(rows, shard: shard, provenance: provenance,
                                                                    run: ProvenanceDocument.run(file: try args.text("path"), started: state.started)).utf8), to: path)
                } else {
                    // Beside the per-sample file, one line per result (accuracies with their intervals).
                    let summary = ResultCSV.summaryPath(beside: path)
                    try writeAtomically(Array(try ResultCSV.perSample(rows, provenance: provenance).utf8), to: path)
                    try writeAtomically(Array(try ResultCSV.summary(rows, provenance: provenance).utf8), to: summary)
                    saved += " and \(summary)"
                }
            case ("", _):
                throw RuntimeError("`\(try args.text("path"))` has no file extension, which says what `save` writes; add .safetensors for a model or images, .npz or .npy for images as NumPy arrays, .json or .csv for results, .png for an image grid")
            default:
                throw RuntimeError("cannot save \(input.kind.name) as `.\(ext)`; use .safetensors for a model or images, .npz or .npy for images as NumPy arrays, .json or .csv for results, .png for an image grid")
            }
            context.print("saved \(saved)")
            // What was saved is shown once: a `report` row or a classified batch here, as the
            // statement would have shown it; the session's `results` table not again (every
            // row was shown when it was reported).
            if input.runtimeValue(as: ResultTable.self)?.alwaysTable != true { context.print(input.description) }
            return input
        }
    }

    static func resultRows(_ input: Value) throws -> [ResultRow] {
        if let table = input.runtimeValue(as: ResultTable.self) { return table.rows }
        if let record = input.runtimeValue(as: ImageRecord.self), let evaluation = record.evaluation {
            return [ReportStage.makeRow(record: record, evaluation: evaluation, label: nil)]
        }
        throw RuntimeError("only classified results or a table can be saved as .json or .csv; put `classify` (and `report`) before `save`")
    }

    /// Writes the images of a dataset or batch as float32 tensors `[N, C, H, W]` in [0, 1]:
    /// `clean`, one per snapshot (`adversarial`, `purified`, …) and `current` when it is none of
    /// those, with `labels` `[N]` (float32, exact for class numbers below 2^24); the sample ids (64
    /// bits, more than a float holds) and the provenance go in the metadata.
    static func writeImages(_ input: Value, to path: String, provenance: String, context: StageContext) throws {
        let record: ImageRecord
        if let dataset = input.runtimeValue(as: DatasetValue.self) { record = ImageRecord(dataset: dataset.dataset) }
        else if let given = input.runtimeValue(as: ImageRecord.self) { record = ImageRecord(copying: given) }
        else { throw RuntimeError("only a model or images (a dataset or a batch) can be saved as .safetensors; save results as .json or .csv") }
        try record.materialize(batchSize: SessionSettings(context).batchSize, call: DefenseCallIndex.make(.analysis))
        var tensors: [(name: String, tensor: Tensor)] = [("clean", record.clean)]
        tensors += record.snapshots.map { ($0.name, $0.images) }
        if !tensors.contains(where: { $0.tensor.scalars == record.current.scalars }) { tensors.append(("current", record.current)) }
        tensors.append(("labels", try Tensor(shape: [record.count], scalars: record.labels.map(Float.init))))
        try SafetensorsWriter.write(tensors, metadata: [
            "dpl.content": "images [N, C, H, W] in [0, 1]: " + tensors.map(\.name).joined(separator: ", "),
            "dpl.sample_ids": record.sampleKeys.map(String.init).joined(separator: ","),
            "dpl.provenance": provenance,
        ], to: URL(fileURLWithPath: path))
    }

    static func writeGrid(_ input: Value, to path: String, columns: Int, context: StageContext) throws {
        let record: ImageRecord
        if let dataset = input.runtimeValue(as: DatasetValue.self) { record = ImageRecord(dataset: dataset.dataset) }
        else if let given = input.runtimeValue(as: ImageRecord.self) { record = ImageRecord(copying: given) }
        else { throw RuntimeError("only images (a dataset or a batch) can be saved as .png") }
        let settings = SessionSettings(context)
        try record.materialize(batchSize: settings.batchSize, call: DefenseCallIndex.make(.analysis))
        let count = min(columns, record.count)
        var rows = [try record.clean.slice(axis: 0, range: 0..<count)]
        for snapshot in record.snapshots { rows.append(try snapshot.images.slice(axis: 0, range: 0..<count)) }
        if record.snapshots.isEmpty, record.current.scalars != record.clean.scalars {
            rows.append(try record.current.slice(axis: 0, range: 0..<count))
        }
        try ImageGrid(columns: count).write(rowsOf: rows, to: path)
    }
}
