import Foundation

// MARK: - The provenance and run sections, as typed records

/// `provenance`: everything that is equal between two runs of the same experiment — versions,
/// scripts and their hashes, files used, settings, stage parameters, threads, machine
/// (docs/provenance.md describes every field). Written into every saved result and read back by
/// `dpl merge`, `dpl verify` and `dpl pack`.
public struct ProvenanceRecord: Codable, Equatable, Sendable {
    /// A script the session read, with its text, so `dpl verify` can rerun it.
    public struct Script: Codable, Equatable, Sendable {
        public var path: String
        public var sha256: String
        public var text: String
        /// Whether an `import` read it.
        public var imported: Bool

        public init(path: String, sha256: String, text: String, imported: Bool) {
            self.path = path
            self.sha256 = sha256
            self.text = text
            self.imported = imported
        }

        /// A script entry; the hash is computed from the text when a hand-made file leaves it out.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decode(String.self, forKey: .path)
            text = try c.decode(String.self, forKey: .text)
            sha256 = try c.decodeIfPresent(String.self, forKey: .sha256) ?? SHA256.hex(text)
            imported = try c.decodeIfPresent(Bool.self, forKey: .imported) ?? false
        }
    }

    /// One stage call as it ran: every argument, defaults applied, in DPL syntax.
    public struct Stage: Codable, Equatable, Sendable {
        public var stage: String
        /// The script's file name (not its folder, which differs between machines).
        public var file: String
        public var line: Int
        public var arguments: [String: String]
        /// How often this call ran with these arguments, when more than once.
        public var calls: Int?
    }

    /// A weights or dataset file the session opened.
    public struct File: Codable, Equatable, Sendable {
        /// `weights` or `dataset`.
        public var role: String
        public var path: String
        public var sha256: String
        public var size: Int
    }

    /// The machine the result was computed on.
    public struct Machine: Codable, Equatable, Sendable {
        public var cpu: String
        public var os: String
        public var cores: Int
        /// `MachineDescription.kernels`; absent in files written before DPL recorded it.
        public var kernels: String? = nil
    }

    public var dplVersion: String
    public var sourceCommit: String
    public var scripts: [Script]
    /// `--set` assignments in the order they were applied.
    public var setAssignments: [String]
    public var settings: [String: String]
    public var stages: [Stage]
    public var files: [File]
    public var threads: Int
    public var machine: Machine
    /// Set by `dpl merge` when the shards ran on different machines: each shard's machine.
    public var shardMachines: [Machine]?
    /// Distinct stage calls past the first `ScriptLog.maximumInvocations`, counted only.
    public var stagesOmitted: Int?
    /// Files read from outside the script's folder, the model folders and the dataset folder
    /// (`ReadPolicy`), so a reviewer sees them; absent when there were none.
    public var readsOutside: [String]?

    enum CodingKeys: String, CodingKey {
        case dplVersion = "dpl_version", sourceCommit = "source_commit", scripts, setAssignments = "set_assignments"
        case settings, stages, files, threads, machine, shardMachines = "shard_machines", readsOutside = "reads_outside"
        case stagesOmitted = "stages_omitted"
    }

    public init(dplVersion: String, sourceCommit: String, scripts: [Script], setAssignments: [String], settings: [String: String],
                stages: [Stage], files: [File], threads: Int, machine: Machine, shardMachines: [Machine]? = nil,
                readsOutside: [String]? = nil) {
        self.readsOutside = readsOutside
        self.dplVersion = dplVersion
        self.sourceCommit = sourceCommit
        self.scripts = scripts
        self.setAssignments = setAssignments
        self.settings = settings
        self.stages = stages
        self.files = files
        self.threads = threads
        self.machine = machine
        self.shardMachines = shardMachines
    }

    /// Reads a provenance section. What a rerun needs (the version and the scripts) must be
    /// there; what only describes the run defaults to empty or unknown, so a file trimmed by
    /// hand still verifies.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dplVersion = try c.decode(String.self, forKey: .dplVersion)
        scripts = try c.decode([Script].self, forKey: .scripts)
        sourceCommit = try c.decodeIfPresent(String.self, forKey: .sourceCommit) ?? "unknown"
        setAssignments = try c.decodeIfPresent([String].self, forKey: .setAssignments) ?? []
        settings = try c.decodeIfPresent([String: String].self, forKey: .settings) ?? [:]
        stages = try c.decodeIfPresent([Stage].self, forKey: .stages) ?? []
        files = try c.decodeIfPresent([File].self, forKey: .files) ?? []
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? 0
        machine = try c.decodeIfPresent(Machine.self, forKey: .machine) ?? Machine(cpu: "unknown", os: "unknown", cores: 0)
        shardMachines = try c.decodeIfPresent([Machine].self, forKey: .shardMachines)
        readsOutside = try c.decodeIfPresent([String].self, forKey: .readsOutside)
        stagesOmitted = try c.decodeIfPresent(Int.self, forKey: .stagesOmitted)
    }

    /// This record without what only says where a run happened (machine and thread count):
    /// results are bit-identical across thread counts, and a scheduler spreads an array job
    /// over whatever nodes are free, so shards of one experiment may differ there.
    var withoutPlaceOfRun: ProvenanceRecord {
        var copy = self
        copy.machine = Machine(cpu: "", os: "", cores: 0)
        copy.shardMachines = nil
        copy.threads = 0
        copy.settings.removeValue(forKey: "threads")
        copy.setAssignments = setAssignments.filter { !$0.hasPrefix("threads=") }
        return copy
    }

    /// This record without the shard setting `dpl run --shard K/N` adds, which is all that
    /// differs between the shards' provenance and the unsharded run's.
    var withoutShard: ProvenanceRecord {
        var copy = self
        copy.settings.removeValue(forKey: ShardSpec.settingName)
        copy.setAssignments = setAssignments.filter { !$0.hasPrefix(ShardSpec.settingName + "=") }
        return copy
    }
}

/// `run`: what differs between two runs of one experiment (times, host), and `file`, the path
/// the script gave `save` (where `dpl verify` finds the rerun's result). A merged file keeps
/// every shard's run under `shards`.
public struct RunRecord: Codable, Equatable, Sendable {
    public var file: String?
    public var started: String?
    public var saved: String?
    public var seconds: Double?
    public var host: String?
    public var shards: [RunRecord]?
}

/// `shard` of a sharded run's file: shard `index` of `count`.
public struct ShardRecord: Codable, Equatable, Sendable {
    public var index: Int
    public var count: Int
}

/// The sections embedded in a chart or image that has no room for a whole results document.
struct EmbeddedProvenance: Encodable {
    var provenance: ProvenanceRecord
    var run: RunRecord
}
