import Foundation
import DPLAttacks
import DPLData
import DPLLang

/// `dpl merge shard-*.json -o results.json`: combines the result files of a sharded run
/// (`dpl run script.dpl --shard K/N`) into the file the unsharded run would have written.
///
/// Per-sample rows are concatenated in shard order, which is dataset order (shard K holds the
/// K-th contiguous range of batches); counts are summed; Wilson intervals, measurement
/// summaries and per-sample flag messages are recomputed from the per-sample values by the
/// code the unsharded run uses (`SampleMeasurements.summaries`, `SanityFlag.combining`,
/// `ResultWriter`), so the merged `results` equal the unsharded ones bit for bit. Nothing is
/// written unless every shard 1 … N is present exactly once and all agree.
public enum ShardMerge {
    /// One shard's file, read.
    private struct ShardFile {
        let path: String
        let shard: ShardSpec
        let version: String
        /// The shard's provenance without its shard setting.
        let provenance: ProvenanceRecord?
        let rows: [ResultRow]
        let run: RunRecord?
    }

    /// Merges the shard files at `paths` and writes the result to `output` atomically.
    /// - Throws: `RuntimeError` naming a missing, duplicate or disagreeing shard.
    public static func merge(paths: [String], into output: String) throws {
        let text = try merged(paths: paths)
        let folder = (output as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try writeAtomically(Array(text.utf8), to: output)
    }

    /// The merged JSON document of the shard files at `paths`.
    /// - Throws: `RuntimeError` naming a missing, duplicate or disagreeing shard.
    public static func merged(paths: [String]) throws -> String {
        guard !paths.isEmpty else { throw RuntimeError("dpl merge needs the shard files, e.g. dpl merge out/results.shard-*.json -o out/results.json") }
        let files = try paths.map(read).sorted { $0.shard.index < $1.shard.index }
        let first = files[0]
        try checkComplete(files)
        for file in files.dropFirst() { try checkAgreement(file, with: first) }
        var rows: [ResultRow] = []
        for position in first.rows.indices {
            rows.append(try merge(files.map { $0.rows[position] }))
        }
        // Provenance is copied from the first shard (minus its shard setting); shards that ran
        // on different machines are all named, since the unsharded run would have had one machine.
        var provenance = first.provenance
        let machines = files.compactMap { $0.provenance?.machine }
        if let firstMachine = machines.first, machines.contains(where: { $0 != firstMachine }) {
            provenance?.shardMachines = machines
        }
        // `run` says what varies between runs, so the merged file keeps every shard's (times,
        // host) under `shards`, and the name the script gave `save`, which `dpl verify` needs
        // to find the file its unsharded rerun writes.
        let shardRuns = files.compactMap(\.run)
        let run = shardRuns.isEmpty ? nil : RunRecord(file: shardRuns[0].file, shards: shardRuns)
        return try ResultWriter.json(rows, provenance: provenance, run: run)
    }

    // MARK: - Reading and checking

    private static func read(_ path: String) throws -> ShardFile {
        let document = try ResultsDocument.read(path: path)
        guard let entry = document.shard else {
            throw RuntimeError("\(path) has no \"shard\" entry, so it is not one shard's result; merge the files `dpl run --shard K/N` wrote")
        }
        let shard: ShardSpec
        do { shard = try ShardSpec(index: entry.index, count: entry.count) } catch { throw RuntimeError("\(path): \(error)") }
        return ShardFile(path: path, shard: shard, version: document.dplVersion, provenance: document.provenance?.withoutShard,
                         rows: try ResultReader.rows(of: document, file: path), run: document.run)
    }

    /// Every shard 1 … N exactly once, N the same in every file.
    private static func checkComplete(_ files: [ShardFile]) throws {
        let first = files[0]
        if let other = files.first(where: { $0.shard.count != first.shard.count }) {
            throw RuntimeError("\(first.path) is one of \(first.shard.count) shards but \(other.path) is one of \(other.shard.count); merge the shards of one run")
        }
        for (a, b) in zip(files, files.dropFirst()) where a.shard.index == b.shard.index {
            throw RuntimeError("duplicate shard \(a.shard.index) of \(a.shard.count): \(a.path) and \(b.path); give each shard once")
        }
        let present = Set(files.map(\.shard.index))
        if let missing = (1...first.shard.count).first(where: { !present.contains($0) }) {
            let expected = ShardSpec.fileName(of: first.path, shard: first.shard, renumberedTo: missing)
            throw RuntimeError("missing shard \(missing) of \(first.shard.count): expected a file such as \(expected); run `dpl run SCRIPT --shard \(missing)/\(first.shard.count)` and merge again (no partial result is written)")
        }
    }

    /// The same version, provenance and results (by label and setup) as the first shard.
    private static func checkAgreement(_ file: ShardFile, with first: ShardFile) throws {
        if file.version != first.version {
            throw RuntimeError("\(file.path) was written by dpl \(file.version) but \(first.path) by dpl \(first.version); rerun the shards with one version")
        }
        // Machine and thread count may differ: results are bit-identical across thread counts.
        if file.provenance?.withoutPlaceOfRun != first.provenance?.withoutPlaceOfRun {
            throw RuntimeError("\(file.path) and \(first.path) have different provenance, so they are not shards of one experiment; rerun the shards with the same script, data and settings")
        }
        guard file.rows.count == first.rows.count else {
            throw RuntimeError("\(file.path) has \(file.rows.count) results but \(first.path) has \(first.rows.count); merge the shards of one script")
        }
        for (position, (row, reference)) in zip(file.rows, first.rows).enumerated() {
            let differing = [("label", row.label, reference.label), ("dataset", row.dataset, reference.dataset),
                             ("defense", row.defense, reference.defense), ("evaluation", row.rule?.description ?? "", reference.rule?.description ?? ""),
                             ("attack", row.attack ?? "", reference.attack ?? ""), ("threat model", row.threatModel ?? "", reference.threatModel ?? ""),
                             ("series", row.series ?? "", reference.series ?? ""), ("x", row.x.map { "\($0)" } ?? "", reference.x.map { "\($0)" } ?? "")]
                .first { $0.1 != $0.2 }
            if let (field, value, expected) = differing {
                throw RuntimeError("result \(position + 1) has \(field) \"\(value)\" in \(file.path) but \"\(expected)\" in \(first.path); merge the shards of one script")
            }
        }
    }

    // MARK: - Merging one result

    /// One result from its shards' rows, in shard order.
    private static func merge(_ rows: [ResultRow]) throws -> ResultRow {
        var merged = rows[0]
        merged.samples = rows.flatMap(\.samples)
        merged.predictions = rows.flatMap(\.predictions)
        merged.cleanAccuracy = try sum(rows.map(\.cleanAccuracy), "clean accuracy", merged.label)
        merged.robustAccuracy = try sum(rows.map(\.robustAccuracy), "robust accuracy", merged.label)
        merged.attackSuccess = try sum(rows.map(\.attackSuccess), "attack success", merged.label)
        merged.targetedSuccess = try sum(rows.map(\.targetedSuccess), "targeted success", merged.label)
        merged.measuredCount = rows.reduce(0) { $0 + $1.measuredCount }
        merged.flags = SanityFlag.combining(rows.map(\.flags), n: merged.n)
        var ids = Set<UInt64>()
        for sample in merged.samples.map(\.sampleID) + merged.predictions.map(\.sampleID) where !ids.insert(sample).inserted {
            throw RuntimeError("sample \(sample) of result \"\(merged.label)\" appears in two shards; were the shards run with different batch settings?")
        }
        var measured = rows[0].sampleMeasurements
        for row in rows.dropFirst() { measured = try measured.appending(row.sampleMeasurements) }
        merged.sampleMeasurements = measured
        let given = Set(rows.flatMap { $0.measurements.map(\.name) })
        merged.measurements = measured.summaries()
        let recomputed = Set(merged.measurements.map(\.name))
        if let lost = given.subtracting(recomputed).sorted().first {
            throw RuntimeError("result \"\(merged.label)\" has the measurement \(lost), which cannot be recomputed from its per-sample values, so the shards cannot be merged exactly")
        }
        return merged
    }

    private static func sum(_ parts: [Proportion?], _ name: String, _ label: String) throws -> Proportion? {
        let present = parts.compactMap { $0 }
        if present.isEmpty { return nil }
        guard present.count == parts.count else {
            throw RuntimeError("result \"\(label)\" has a \(name) in some shards but not in others; merge the shards of one script")
        }
        return present.dropFirst().reduce(present[0], +)
    }
}

extension ShardSpec {
    /// The name a shard file of the same run would have: `r.shard-2-of-4.json` renumbered to 3
    /// gives `r.shard-3-of-4.json`; other names get the shard suffix added.
    static func fileName(of path: String, shard: ShardSpec, renumberedTo index: Int) -> String {
        let marker = ".shard-\(shard.index)-of-\(shard.count)"
        let replacement = ".shard-\(index)-of-\(shard.count)"
        if path.contains(marker) { return path.replacingOccurrences(of: marker, with: replacement) }
        return (try? ShardSpec(index: index, count: shard.count))?.fileName(for: path) ?? path
    }
}
