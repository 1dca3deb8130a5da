import Foundation
import DPLLang

// MARK: - `dpl pack results.json DIR`

/// Writes a self-contained artifact folder for a results file: the script and its imports, the
/// weights it used (copied when under 50 MB each), the results JSON, and a README.md with the
/// commands that rerun and verify it. Dataset files are referenced by path, hash and, when a
/// Debian package installed them, the package's name.
public struct ArtifactPacker {
    /// Weights files at least this large are referenced by hash instead of copied.
    public static let copyLimit = 50 * 1024 * 1024

    /// Receives progress lines.
    public var output: (String) -> Void
    /// Receives problems.
    public var errors: (String) -> Void

    /// A packer printing to `output` and `errors`.
    public init(output: @escaping (String) -> Void, errors: @escaping (String) -> Void) {
        self.output = output
        self.errors = errors
    }

    /// Packs the experiment behind `resultsPath` into `directory` (which must not exist or be
    /// empty); returns the exit code.
    public func pack(resultsPath: String, into directory: String) -> CommandResult {
        let fm = FileManager.default
        let target = URL(fileURLWithPath: directory).standardizedFileURL.path
        let recorded: RecordedExperiment
        do {
            recorded = try RecordedExperiment(resultsPath: URL(fileURLWithPath: resultsPath).standardizedFileURL.path)
        } catch {
            errors("dpl pack: \(error)")
            return .usage
        }
        if let existing = try? fm.contentsOfDirectory(atPath: target), !existing.isEmpty {
            errors("dpl pack: `\(directory)` already holds files; give a new or empty folder")
            return .usage
        }
        let problems = recorded.fileProblems()
        guard problems.isEmpty else {
            errors("dpl pack: files the experiment used are missing or changed:\n  " + problems.joined(separator: "\n  "))
            return .notReproduced
        }
        do {
            try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
            let readme = try writeContents(recorded, into: target)
            try writeAtomically(Array(readme.utf8), toFile: (target as NSString).appendingPathComponent("README.md"))
        } catch {
            errors("dpl pack: cannot write `\(directory)`: \(error)")
            return .failed
        }
        output("packed \(target)")
        return .success
    }

    /// `path` when it lies inside the pack folder `target` after `..` and links are resolved.
    /// A results file is untrusted: a recorded path such as `a/../../../x.sh` must not make
    /// `dpl pack` write outside its folder.
    /// - Throws: `PackError` naming the recorded path.
    private func confined(_ path: String, to target: String, recorded: String) throws -> String {
        let destination = URL(fileURLWithPath: path).standardizedFileURL.path
        let name = (destination as NSString).lastPathComponent
        guard name != ".", name != "..", destination != target,
              WritePolicy.contains(WritePolicy.realPath(target), WritePolicy.realPath(destination)) else {
            throw PackError(description: "the results file records the path `\(recorded)`, which would be written outside the pack folder; the results file was altered or is not DPL's")
        }
        return destination
    }

    /// Copies scripts, weights and results; returns the README text.
    private func writeContents(_ recorded: RecordedExperiment, into target: String) throws -> String {
        let fm = FileManager.default
        let originalFolder = (recorded.mainScripts[0].path as NSString).deletingLastPathComponent
        var scriptLines: [String] = []
        for script in recorded.scripts where !script.path.hasPrefix("<") {
            // Imports inside the main script's folder keep their relative place so `import` lines work unchanged.
            let relative = script.path.hasPrefix(originalFolder + "/")
                ? String(script.path.dropFirst(originalFolder.count + 1)) : (script.path as NSString).lastPathComponent
            let destination = try confined((target as NSString).appendingPathComponent(relative), to: target, recorded: script.path)
            try fm.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try writeAtomically(Array(script.text.utf8), toFile: destination)
            scriptLines.append("| `\(relative)` | \(script.imported ? "imported" : "script") | `\(script.sha256)` |")
        }
        var weightLines: [String] = [], datasetLines: [String] = []
        for file in recorded.files {
            let name = (file.path as NSString).lastPathComponent
            let source = recorded.candidates(for: file).first { (try? FileFingerprint.of(path: $0))?.sha256 == file.sha256 } ?? file.path
            if file.role == "weights" {
                if file.size < Self.copyLimit {
                    let destination = try confined((target as NSString).appendingPathComponent("models/" + name), to: target, recorded: file.path)
                    try fm.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    if !fm.fileExists(atPath: destination) { try fm.copyItem(atPath: source, toPath: destination) }
                    weightLines.append("| `models/\(name)` | copied | \(file.size) | `\(file.sha256)` |")
                } else {
                    weightLines.append("| `\(file.path)` | not copied (over 50 MB): fetch it to `models/\(name)` | \(file.size) | `\(file.sha256)` |")
                }
            } else {
                let package = DebianPackages.owner(of: file.path)
                datasetLines.append("| `\(file.path)` | \(package.map { "Debian package `\($0)`" } ?? "not copied") | \(file.size) | `\(file.sha256)` |")
            }
        }
        let resultsName = (recorded.resultsPath as NSString).lastPathComponent
        try fm.copyItem(atPath: recorded.resultsPath, toPath: (target as NSString).appendingPathComponent(resultsName))
        let main = recorded.mainScripts.filter { !$0.path.hasPrefix("<") }.map { ($0.path as NSString).lastPathComponent }
        let sets = recorded.settingAssignments.map { " --set '\($0)'" }.joined()
        let packages = Set(recorded.files.compactMap { $0.role == "dataset" ? DebianPackages.owner(of: $0.path) : nil }).sorted()
        var readme = """
        # Artifact: \(main.joined(separator: ", "))

        Written by `dpl pack` (DPL \(DPLVersion.current)) from `\(recorded.resultsPath)`, whose results were
        computed by DPL \(recorded.version). `\(resultsName)` holds the results and, in its `provenance`
        section, everything needed to rerun them (docs/provenance.md in DPL describes every field).

        ## Getting DPL

        The results were computed by DPL \(recorded.version), built from the DPL source commit
        `\(recorded.sourceCommit)` (`provenance.source_commit`; "unknown" when that build was not
        from a git checkout). Check out that commit of DPL's repository and run its
        `bash scripts/quickstart.sh`, which installs the apt packages DPL needs and builds `dpl`
        (then `.build/release/dpl`, or put it on `PATH`). Another version may compute other
        numbers; `dpl verify` says so before it compares.

        ## Rerun and verify

        """
        if !packages.isEmpty { readme += "\n```sh\nsudo apt-get install \(packages.joined(separator: " "))\n```\n" }
        readme += """

        ```sh
        cd \((target as NSString).lastPathComponent)
        dpl verify \(resultsName)                 # reruns in a temporary folder and compares every result
        dpl verify \(resultsName) --tolerance 1e-6  # accepts differences up to 1e-6 (other CPUs)
        \(main.map { "dpl run \($0)\(sets)" }.joined(separator: "\n"))   # reruns here, overwriting \(recorded.savedAs)
        ```

        ## Scripts

        | file | role | sha256 |
        |---|---|---|
        \(scriptLines.joined(separator: "\n"))

        """
        if !weightLines.isEmpty {
            readme += "\n## Weights\n\nModels are found in `models/` beside the script.\n\n| file | | bytes | sha256 |\n|---|---|---|---|\n" + weightLines.joined(separator: "\n") + "\n"
        }
        if !datasetLines.isEmpty {
            readme += "\n## Datasets\n\nReferenced, not copied; `dpl verify` checks each by hash.\n\n| file | source | bytes | sha256 |\n|---|---|---|---|\n" + datasetLines.joined(separator: "\n") + "\n"
        }
        return readme
    }

    private func writeAtomically(_ bytes: [UInt8], toFile path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Which Debian package installed a file, read from dpkg's file lists (no process spawned).
enum DebianPackages {
    /// The package whose file list names `path`, or nil.
    static func owner(of path: String) -> String? {
        let folder = "/var/lib/dpkg/info"
        guard path.hasPrefix("/usr/"), let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        // Data packages first: they are the ones DPL reads, and the scan usually stops there.
        let lists = names.filter { $0.hasSuffix(".list") }.sorted { ($0.hasPrefix("dataset-") ? 0 : 1, $0) < ($1.hasPrefix("dataset-") ? 0 : 1, $1) }
        for list in lists {
            guard let text = try? String(contentsOfFile: folder + "/" + list, encoding: .utf8) else { continue }
            if text.split(separator: "\n").contains(where: { $0 == path }) {
                return String(list.dropLast(".list".count).split(separator: ":").first ?? "")
            }
        }
        return nil
    }
}

/// Why `dpl pack` refused to write something.
struct PackError: Error, CustomStringConvertible {
    let description: String
}
