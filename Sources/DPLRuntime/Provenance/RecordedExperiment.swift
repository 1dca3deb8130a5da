import Foundation
import DPLLang
import DPLNN

// MARK: - An experiment as a results file records it

/// A results file as read: the typed document, and the same JSON as a tree that `dpl verify`
/// compares field by field (so a field this version does not know is still compared).
struct ParsedResults {
    let document: ResultsDocument
    let tree: JSONValue

    /// The results file at `path`.
    /// - Throws: `RuntimeError` naming the file and the malformed field.
    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuntimeError("cannot read `\(path)`; check that the file exists")
        }
        document = try ResultsDocument.read(data, file: path)
        tree = try JSONCoding.decode(JSONValue.self, from: data, file: path, hint: "is it a results file?")
    }
}

/// What a results JSON's `provenance` says about the run that made it, read back for
/// `dpl verify` and `dpl pack`.
struct RecordedExperiment {
    typealias Script = ProvenanceRecord.Script
    typealias File = ProvenanceRecord.File

    /// Why a results file cannot be used.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    let resultsPath: String
    let results: ParsedResults
    let version: String
    let scripts: [Script]
    /// The shard the results are of, when they came from `dpl run --shard K/N`.
    let shard: ShardSpec?
    let files: [File]
    let settingAssignments: [String]
    /// The git commit of the DPL that computed the results.
    let sourceCommit: String
    /// The path the script gave `save`, as written.
    let savedAs: String

    var mainScripts: [Script] { scripts.filter { !$0.imported } }
    var resultsFolder: String { (resultsPath as NSString).deletingLastPathComponent }

    init(resultsPath: String) throws {
        self.resultsPath = resultsPath
        do { results = try ParsedResults(path: resultsPath) } catch { throw Problem(description: "\(error)") }
        let document = results.document
        guard let provenance = document.provenance else {
            throw Problem(description: "`\(resultsPath)` has no `provenance` section; only results saved by DPL 0.2.0 or later with `save \"….json\"` can be verified")
        }
        version = provenance.dplVersion
        scripts = provenance.scripts
        files = provenance.files
        settingAssignments = provenance.setAssignments
        sourceCommit = provenance.sourceCommit
        savedAs = document.run?.file ?? (resultsPath as NSString).lastPathComponent
        shard = document.shard.flatMap { try? ShardSpec(index: $0.index, count: $0.count) }
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

    /// Where each recorded file was found with its recorded hash: what a rerun may read.
    func matchedInputs() -> [String] {
        files.compactMap { file in
            candidates(for: file).first { FileManager.default.fileExists(atPath: $0) && (try? FileFingerprint.of(path: $0))?.sha256 == file.sha256 }
        }
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
    func filesNotRecorded(openedBy rerun: ResultsDocument) -> [String] {
        let known = Set(files.map(\.sha256))
        return (rerun.provenance?.files ?? []).compactMap { entry in
            known.contains(entry.sha256) ? nil : "\(entry.role) \(entry.path) has sha256 \(entry.sha256)"
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
    /// assignments, writing every file under `outputFolder`; returns the rerun's results.
    func rerun(outputFolder: String, output: @escaping (String) -> Void) throws -> ParsedResults {
        let originalFolder = (mainScripts[0].path as NSString).deletingLastPathComponent
        let folder = scriptFolder()
        // Scripts keep their place relative to the main script's folder.
        func relocated(_ path: String) -> String {
            guard path.hasPrefix(originalFolder + "/") else { return path }
            return (folder as NSString).appendingPathComponent(String(path.dropFirst(originalFolder.count + 1)))
        }
        var texts: [String: String] = [:]
        for script in scripts { texts[relocated(script.path)] = script.text }
        // Only the recorded scripts: a rerun never reads a script from disk that the results
        // file does not hold.
        let loader = SourceLoader(currentDirectory: folder) { path in
            guard let text = texts[path] else {
                throw Problem(description: "the rerun imports `\(path)`, whose text the results file does not record; a verification reruns only recorded scripts")
            }
            return text
        }
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        // A shard's results record `--shard K/N` as a setting that only a sharded run registers.
        var settings = SettingsRegistry.standard
        if shard != nil { settings.register(ShardSpec.setting) }
        // Sandboxed: the rerun may read only the inputs whose recorded hashes were just checked.
        let reads = ReadPolicy(sandboxed: true, allowedFiles: Set(matchedInputs()))
        let session = Session(registry: try BuiltinStages.makeRegistry(outputRedirect: outputFolder, readPolicy: reads), settings: settings,
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
        guard FileManager.default.fileExists(atPath: produced) else {
            throw Problem(description: "the rerun did not write `\(savedAs)`")
        }
        return try ParsedResults(path: produced)
    }
}
