import Foundation
import DPLLang
import DPLTensor

// MARK: - The provenance and run sections of a saved result

/// Builds the two sections every saved result carries: `provenance`, everything that is equal
/// between two runs of the same experiment (versions, scripts and their hashes, files used,
/// settings, stage parameters, threads, machine), and `run`, what varies from run to run
/// (times, host). docs/provenance.md describes every field.
enum ProvenanceDocument {
    /// The `provenance` object for a result saved now.
    static func provenance(context: StageContext, files: OpenedFiles) -> [String: Any] {
        let log = context.log
        let scripts: [[String: Any]] = log.scripts.map { script in
            ["path": script.path, "sha256": SHA256.hex(script.text), "text": script.text, "imported": script.imported]
        }
        var settings: [String: String] = [:]
        for (name, value) in context.settings { settings[name] = value.literal }
        let stages: [[String: Any]] = log.invocations.map { call in
            ["stage": call.stage, "file": (call.file as NSString).lastPathComponent, "line": call.line,
             "arguments": Dictionary(call.arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })]
        }
        let opened: [[String: Any]] = files.entries.map { entry in
            ["role": entry.role.rawValue, "path": entry.fingerprint.path, "sha256": entry.fingerprint.sha256, "size": entry.fingerprint.size]
        }
        return [
            "dpl_version": DPLVersion.current,
            "source_commit": SourceCommit.current,
            "scripts": scripts,
            "set_assignments": log.settingAssignments,
            "settings": settings,
            "stages": stages,
            "files": opened,
            "threads": EngineThreads.count,
            "machine": ["cpu": MachineDescription.cpuModel, "os": MachineDescription.operatingSystem,
                        "cores": MachineDescription.coreCount] as [String: Any],
        ]
    }

    /// The `run` object: what differs between two runs of one experiment, and `file`, the path
    /// the script gave `save` (where `dpl verify` finds the rerun's result).
    static func run(file: String, started: Date, savedAt: Date = Date()) -> [String: Any] {
        let formatter = ISO8601DateFormatter()
        return [
            "file": file,
            "started": formatter.string(from: started),
            "saved": formatter.string(from: savedAt),
            "seconds": (savedAt.timeIntervalSince(started) * 1000).rounded() / 1000,
            "host": ProcessInfo.processInfo.hostName,
        ]
    }

    /// Provenance as `# provenance: ` comment lines for the top of a CSV file: one compact JSON
    /// object per line (scripts' texts are left out; their hashes stay).
    static func csvComment(_ provenance: [String: Any]) -> [String] {
        var lines: [String] = []
        for key in provenance.keys.sorted() {
            var value = provenance[key] ?? NSNull()
            if key == "scripts", let scripts = value as? [[String: Any]] {
                value = scripts.map { $0.filter { $0.key != "text" } }
            }
            lines.append("# provenance: \(key) = \(compactJSON(value))")
        }
        return lines
    }

    /// `value` as one line of JSON with sorted keys.
    static func compactJSON(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject([value]),
              let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "\(value)"
        }
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
