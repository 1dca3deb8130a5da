import Foundation
import DPLLang

// MARK: - Sharded runs

/// Which part of a sharded evaluation a run is: shard `index` of `count`, counted from 1
/// (`dpl run script.dpl --shard 2/4`), so Slurm's `--array=1-4` maps onto it unchanged.
///
/// A sharded run evaluates a contiguous range of whole batches of every dataset it loads
/// (docs/scaling.md); its result files carry the shard in their names and JSON, and
/// `dpl merge` combines the shards into what the unsharded run would have written.
public struct ShardSpec: Equatable, Sendable, CustomStringConvertible {
    /// The shard's number, 1 ... count.
    public let index: Int
    /// How many shards the evaluation is split into.
    public let count: Int

    /// The session setting a sharded run carries its shard in (set by `--shard K/N`).
    public static let settingName = "shard"

    /// The setting's description, registered only for sharded runs so a script cannot set it.
    public static let setting = Parameter(settingName, .string,
                                          doc: "This run's shard \"K/N\" (set by dpl run --shard K/N; see docs/scaling.md).")

    /// Shard `index` of `count`.
    /// - Throws: `ShardError` when `count` < 1 or `index` is outside 1 ... count.
    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw ShardError("a sharded run needs at least one shard, but the shard count is \(count); use --shard K/N with N ≥ 1") }
        guard (1...count).contains(index) else {
            throw ShardError("shard \(index) of \(count) does not exist: shards are numbered from 1 to \(count), so use --shard K/\(count) with K between 1 and \(count)")
        }
        self.index = index
        self.count = count
    }

    /// The shard written `K/N` (as on the command line).
    /// - Throws: `ShardError` naming the expected form.
    public init(parsing text: String) throws {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ShardError("--shard \(text) is not a shard; write it K/N with whole numbers, e.g. --shard 2/4 for the second of four shards")
        }
        try self.init(index: index, count: count)
    }

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }

    /// The file a sharded run writes instead of `path`: `x.json` → `x.shard-2-of-4.json`.
    public func fileName(for path: String) -> String {
        let ext = (path as NSString).pathExtension
        let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return "\(stem).shard-\(index)-of-\(count)" + (ext.isEmpty ? "" : ".\(ext)")
    }

    /// The row range of this shard's batches in a dataset of `total` samples cut into batches
    /// of `batchSize`: batches ⌊(K−1)·B/N⌋ ..< ⌊K·B/N⌋ of B = ⌈total / batchSize⌉. Every batch
    /// starts where it starts in the unsharded run, so each has the same samples.
    public func rows(total: Int, batchSize: Int) -> Range<Int> {
        let size = max(1, batchSize)
        let batches = (total + size - 1) / size
        let first = (index - 1) * batches / count
        let last = index * batches / count
        return min(total, first * size)..<min(total, last * size)
    }
}

/// A shard written wrongly (`--shard 5/4`): one plain sentence naming the fix.
public struct ShardError: Error, CustomStringConvertible {
    /// The sentence.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
