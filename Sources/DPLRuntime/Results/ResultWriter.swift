import Foundation
import DPLAttacks
import DPLLang

/// Serializes result rows as the JSON results document (`ResultsDocument`); the CSV forms are
/// in ResultCSV.swift.
enum ResultWriter {
    /// The rows as a results document (`ResultsDocument`): `provenance` (what must match
    /// between two runs of the same experiment), `run` (what varies between them), and for a
    /// sharded run which shard it is; `dpl merge` reads it back (ResultReader).
    /// - Throws: `RuntimeError` when a value has no JSON form; nothing is written then.
    static func json(_ rows: [ResultRow], shard: ShardSpec? = nil, provenance: ProvenanceRecord? = nil,
                     run: RunRecord? = nil) throws -> String {
        try ResultsDocument(results: rows.map(ResultRecord.init), shard: shard.map { ShardRecord(index: $0.index, count: $0.count) },
                            provenance: provenance, run: run).json()
    }
}
