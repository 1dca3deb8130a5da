import Foundation
import DPLLang

// MARK: - An experiment as a results file records it

/// What a results JSON's `provenance` says about the run that made it, read back for
/// `dpl verify` and `dpl pack`.
struct RecordedExperiment {
    /// A script (or imported script) with its recorded text.
    struct Script {
        let path: String
        let text: String
        let sha256: String
        let imported: Bool
    }

    /// A weights or dataset file the run opened.
    struct File {
        let role: String
        let path: String
        let sha256: String
        let size: Int
    }

    /// Why a results file cannot be used.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    let resultsPath: String
    let document: [String: Any]
    let version: String
    let scripts: [Script]
    /// The shard the results are of, when they came from `dpl run --shard K/N`.
    let shard: ShardSpec?
    let files: [File]
    let settingAssignments: [String]
    /// The path the script gave `save`, as written.
    let savedAs: String

    var mainScripts: [Script] { scripts.filter { !$0.imported } }
    var resultsFolder: String { (resultsPath as NSString).deletingLastPathComponent }

    init(resultsPath: String) throws {
        self.resultsPath = resultsPath
        guard let data = FileManager.default.contents(atPath: resultsPath) else {
            throw Problem(description: "cannot read `\(resultsPath)`; check that the file exists")
        }
        guard let document = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Problem(description: "`\(resultsPath)` is not a DPL results JSON file")
        }
        guard let provenance = document["provenance"] as? [String: Any] else {
            throw Problem(description: "`\(resultsPath)` has no `provenance` section; only results saved by DPL 0.2.0 or later with `save \"….json\"` can be verified")
        }
        self.document = document
        version = provenance["dpl_version"] as? String ?? document["dpl_version"] as? String ?? "unknown"
        scripts = (provenance["scripts"] as? [[String: Any]] ?? []).compactMap { entry in
            guard let path = entry["path"] as? String, let text = entry["text"] as? String else { return nil }
            return Script(path: path, text: text, sha256: entry["sha256"] as? String ?? SHA256.hex(text),
                          imported: entry["imported"] as? Bool ?? false)
        }
        files = (provenance["files"] as? [[String: Any]] ?? []).compactMap { entry in
            guard let path = entry["path"] as? String, let sha = entry["sha256"] as? String else { return nil }
            return File(role: entry["role"] as? String ?? "file", path: path, sha256: sha, size: (entry["size"] as? NSNumber)?.intValue ?? 0)
        }
        settingAssignments = provenance["set_assignments"] as? [String] ?? []
        savedAs = (document["run"] as? [String: Any])?["file"] as? String ?? (resultsPath as NSString).lastPathComponent
        if let fields = document["shard"] as? [String: Any], let index = fields["index"] as? Int, let count = fields["count"] as? Int {
            shard = try? ShardSpec(index: index, count: count)
        } else {
            shard = nil
        }
        guard !mainScripts.isEmpty else {
            throw Problem(description: "`\(resultsPath)` records no script text, so there is nothing to rerun")
        }
    }

    // MARK: Files

    /// Where a recorded file is found now: its recorded path, or a file of the same name in
    /// the `models/` folder (weights) or the folder beside the results (a `dpl pack` folder).
    func candidates(for file: File) -> [String] {
        let name = (file.path as NSString).lastPathComponent
        return [file.path, (resultsFolder as NSString).appendingPathComponent("models/" + name),
                (resultsFolder as NSString).appendingPathComponent(name)]
    }

    /// One line per recorded file that is missing or whose hash changed; empty when all match.
    func fileProblems() -> [String] {
        var problems: [String] = []
        for file in files {
            var actual: String?
            var matched = false
            for candidate in candidates(for: file) where FileManager.default.fileExists(atPath: candidate) {
                let fingerprint = try? FileFingerprint.of(path: candidate)
                if fingerprint?.sha256 == file.sha256 { matched = true; break }
                if actual == nil { actual = "\(candidate) has sha256 \(fingerprint?.sha256 ?? "unreadable")" }
            }
            if matched { continue }
            if let actual { problems.append("\(file.role) \(file.path) changed: expected sha256 \(file.sha256), but \(actual)") }
            else { problems.append("\(file.role) \(file.path) is missing (expected sha256 \(file.sha256), \(file.size) bytes)") }
        }
        return problems
    }

    /// One line per file a rerun's results JSON records with a hash the saved run never
    /// opened (a script that found a different model file, say); empty when all agree.
    func filesNotRecorded(openedBy rerun: Any) -> [String] {
        let known = Set(files.map(\.sha256))
        let opened = ((rerun as? [String: Any])?["provenance"] as? [String: Any])?["files"] as? [[String: Any]] ?? []
        return opened.compactMap { entry in
            guard let sha = entry["sha256"] as? String, !known.contains(sha) else { return nil }
            return "\(entry["role"] as? String ?? "file") \(entry["path"] as? String ?? "?") has sha256 \(sha)"
        }
    }

    // MARK: Rerunning

    /// The folder the rerun treats as the main script's: the results' folder when a script
    /// with the recorded text sits there (a pack, or results saved beside the script), else the
    /// recorded folder.
    func scriptFolder() -> String {
        guard let main = mainScripts.first else { return resultsFolder }
        let beside = (resultsFolder as NSString).appendingPathComponent((main.path as NSString).lastPathComponent)
        if let text = try? String(contentsOfFile: beside, encoding: .utf8), SHA256.hex(text) == main.sha256 { return resultsFolder }
        return (main.path as NSString).deletingLastPathComponent
    }

    /// Runs the recorded scripts (from their recorded texts) with the recorded `--set`
    /// assignments, writing every file under `outputFolder`; returns the rerun's results JSON.
    func rerun(outputFolder: String, output: @escaping (String) -> Void) throws -> Any {
        let originalFolder = (mainScripts[0].path as NSString).deletingLastPathComponent
        let folder = scriptFolder()
        // Scripts keep their place relative to the main script's folder.
        func relocated(_ path: String) -> String {
            guard path.hasPrefix(originalFolder + "/") else { return path }
            return (folder as NSString).appendingPathComponent(String(path.dropFirst(originalFolder.count + 1)))
        }
        var texts: [String: String] = [:]
        for script in scripts { texts[relocated(script.path)] = script.text }
        let loader = SourceLoader(currentDirectory: folder) { path in
            if let text = texts[path] { return text }
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        // A shard's results record `--shard K/N` as a setting that only a sharded run registers.
        var settings = SettingsRegistry.standard
        if let shard { settings.register(ShardSpec.setting) }
        let session = Session(registry: try BuiltinStages.makeRegistry(outputRedirect: outputFolder), settings: settings,
                              loader: loader, output: output)
        for assignment in settingAssignments {
            if let text = session.applySetting(assignment).errorText { throw Problem(description: text) }
        }
        for script in mainScripts {
            let name = script.path.hasPrefix("<") ? script.path : relocated(script.path)
            if let text = session.run(SourceFile(name: name, text: script.text)).errorText { throw Problem(description: text) }
        }
        let given = savedAs.hasPrefix("/") ? (savedAs as NSString).lastPathComponent : savedAs
        // A shard wrote `x.shard-K-of-N.json` for `save "x.json"`, and so does its rerun.
        let relative = shard.map { $0.fileName(for: given) } ?? given
        let produced = (outputFolder as NSString).appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: produced),
              let json = try? JSONSerialization.jsonObject(with: data) else {
            throw Problem(description: "the rerun did not write `\(savedAs)`")
        }
        return json
    }
}
