import Foundation
import DPLData
import DPLLang

/// `load fashion-mnist split=test n=512 offset=0` — a dataset, with stable sample ids.
enum LoadStage {
    static let datasets = ["fashion-mnist", "mnist", "cifar10", "images"]

    static let signature = StageSignature(
        name: "load", doc: "Loads a dataset split: fashion-mnist (Debian's dataset-fashion-mnist), mnist, cifar10 or a folder of PNG images.",
        input: .nothing, output: RuntimeKinds.dataset,
        parameters: [
            Parameter("dataset", .choice(datasets), required: true, doc: "Which dataset: fashion-mnist, mnist (path=), cifar10 (path=), images (path=, one folder per class)."),
            Parameter("split", .choice(["train", "test"]), default: .name("test"), doc: "Which split (ignored for images)."),
            Parameter("n", .integer, minimum: 1, doc: "How many samples to keep (default: all)."),
            Parameter("offset", .integer, default: .number(0), minimum: 0, doc: "Index of the first sample kept."),
            Parameter("path", .string, doc: "Folder holding the files; fashion-mnist defaults to /usr/share/datasets/fashion-mnist."),
        ], positional: ["dataset"])

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { _, arguments, _, context in
            let args = ArgumentReader(stage: "load", arguments: arguments)
            let name = try args.text("dataset")
            let split: DatasetSplit = try args.text("split") == "train" ? .train : .test
            let path = args.optionalText("path").map { resolve($0, base: context.baseDirectory) }
            // A sandboxed run refuses a folder outside the usual places before reading it; a
            // verification rerun checks each file against the recorded inputs below.
            if state.openedFiles.policy.allowedFiles == nil {
                try state.openedFiles.permit(path ?? FashionMNIST.defaultDirectory, scriptFolder: context.baseDirectory)
            }
            let full = try state.dataset(name: name, split: split, path: path) {
                switch name {
                case "fashion-mnist":
                    return try path.map { try FashionMNIST.load(split: split, directory: $0) } ?? FashionMNIST.load(split: split)
                case "mnist":
                    return try MNIST.load(split: split, directory: try required(path, for: name))
                case "cifar10":
                    return try CIFAR10.load(split: split, directory: try required(path, for: name))
                default:
                    return try ImageFolder.load(path: try required(path, for: name))
                }
            }
            for file in full.sourceFiles { try state.openedFiles.record(file, as: .dataset, scriptFolder: context.baseDirectory) }
            let offset = try args.integer("offset")
            let count = try args.optionalInteger("n") ?? max(0, full.count - offset)
            let dataset = (offset == 0 && count == full.count) ? full : try full.subset(offset: offset, count: count)
            let settings = SessionSettings(context)
            guard let shard = try settings.shard() else { return .runtime(DatasetValue(dataset)) }
            return .runtime(DatasetValue(try slice(dataset, shard: shard, batchSize: settings.batchSize)))
        }
    }

    /// The shard's contiguous range of whole batches of `dataset` (docs/scaling.md): each batch
    /// holds the samples it holds in the unsharded run, so results agree bit for bit.
    static func slice(_ dataset: Dataset, shard: ShardSpec, batchSize: Int) throws -> Dataset {
        let rows = shard.rows(total: dataset.count, batchSize: batchSize)
        guard !rows.isEmpty else {
            let batches = (dataset.count + batchSize - 1) / batchSize
            throw RuntimeError("shard \(shard) has no samples of \(dataset.name): its \(dataset.count) samples make only \(batches) batches of \(batchSize), fewer than the \(shard.count) shards; run at most \(batches) shards or set a smaller batch")
        }
        return try dataset.subset(offset: rows.lowerBound, count: rows.count)
    }

    static func required(_ path: String?, for name: String) throws -> String {
        guard let path else { throw RuntimeError("`load \(name)` needs path=\"folder\" pointing at the dataset's files") }
        return path
    }

    static func resolve(_ path: String, base: String) -> String {
        path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
    }
}

extension RuntimeState {
    /// The full split, read once per session.
    func dataset(name: String, split: DatasetSplit, path: String?, read: () throws -> Dataset) throws -> Dataset {
        let key = "\(name)|\(split)|\(path ?? "")"
        if let cached = datasetCache[key] { return cached }
        let dataset = try read()
        datasetCache[key] = dataset
        return dataset
    }
}
