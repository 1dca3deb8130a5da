import Foundation
import DPLLang
import DPLNN
import DPLTensor

// MARK: - The provenance and run sections of a saved result

/// Builds the two sections every saved result carries: `provenance`, everything that is equal
/// between two runs of the same experiment (versions, scripts and their hashes, files used,
/// settings, stage parameters, threads, machine), and `run`, what varies from run to run
/// (times, host). docs/provenance.md describes every field.
enum ProvenanceDocument {
    /// The `provenance` record for a result saved now.
    static func provenance(context: StageContext, files: OpenedFiles) -> ProvenanceRecord {
        let log = context.log
        var settings: [String: String] = [:]
        for (name, value) in context.settings { settings[name] = value.literal }
        let outside = files.entries.filter(\.outsideUsualFolders).map(\.fingerprint.path)
        var record = ProvenanceRecord(
            dplVersion: DPLVersion.current,
            sourceCommit: SourceCommit.current,
            scripts: log.scripts.map { script in
                .init(path: script.path, sha256: SHA256.hex(script.text), text: script.text, imported: script.imported)
            },
            setAssignments: log.settingAssignments,
            settings: settings,
            stages: log.invocations.map { call in
                .init(stage: call.stage, file: (call.file as NSString).lastPathComponent, line: call.line,
                      arguments: Dictionary(call.arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
                      calls: call.calls > 1 ? call.calls : nil)
            },
            files: files.entries.map { entry in
                .init(role: entry.role.rawValue, path: entry.fingerprint.path, sha256: entry.fingerprint.sha256, size: entry.fingerprint.size)
            },
            threads: EngineThreads.count,
            machine: .init(cpu: MachineDescription.cpuModel, os: MachineDescription.operatingSystem, cores: MachineDescription.coreCount,
                           kernels: MachineDescription.kernels),
            readsOutside: outside.isEmpty ? nil : outside)
        record.stagesOmitted = log.omittedInvocations > 0 ? log.omittedInvocations : nil
        return record
    }

    /// The `run` record: what differs between two runs of one experiment, and `file`, the path
    /// the script gave `save` (where `dpl verify` finds the rerun's result).
    static func run(file: String, started: Date, savedAt: Date = Date()) -> RunRecord {
        let formatter = ISO8601DateFormatter()
        return RunRecord(file: file, started: formatter.string(from: started), saved: formatter.string(from: savedAt),
                         seconds: (savedAt.timeIntervalSince(started) * 1000).rounded() / 1000,
                         host: ProcessInfo.processInfo.hostName)
    }

    /// Provenance as `# provenance: ` comment lines for the top of a CSV file: one compact JSON
    /// value per field, in key order (scripts' texts are left out; their hashes stay).
    static func csvComment(_ provenance: ProvenanceRecord) throws -> [String] {
        guard case .object(var fields) = try JSONDecoder().decode(JSONValue.self, from: JSONCoding.encode(provenance, pretty: false)) else {
            return []
        }
        if case .array(let scripts) = fields["scripts"] {
            fields["scripts"] = .array(scripts.map { script in
                guard case .object(var entry) = script else { return script }
                entry.removeValue(forKey: "text")
                return .object(entry)
            })
        }
        return try fields.keys.sorted().map { key in "# provenance: \(key) = \(try JSONCoding.line(fields[key] ?? .null))" }
    }
}
