import Foundation
import DPLLang
import DPLRuntime

// MARK: - Running DPL from Swift

/// Runs DPL scripts inside a Swift program and returns their results as plain Swift values.
///
///     let result = try DPL.run(source: "load fashion-mnist split=test n=10 | classify | report")
///     print(result.rows[0].cleanAccuracy?.estimate ?? 0)
///
/// Each call runs in a fresh session (its own variables, settings, imports and model cache),
/// checks the whole script before running any of it, as `dpl run` does, and throws `DPLError`
/// with the diagnostics (file:line:col) when the script has errors or a statement fails.
/// Progress bars of long stages go to standard error, as with `dpl`.
public enum DPL {
    /// The version of DPL this library runs, compared by `require dpl "…"`.
    public static let version = DPLVersion.current

    /// Checks and runs DPL source text.
    /// - Parameters:
    ///   - source: the script.
    ///   - settings: session settings applied before the script, values in DPL syntax, as
    ///     `dpl run --set key=value` takes them (`["batch": "32", "data": "load mnist n=64"]`);
    ///     applied in key order.
    ///   - baseDirectory: the folder relative paths (`import`, `save`, model files) resolve
    ///     against; the current directory when nil.
    ///   - name: the script's name in diagnostics (`name:line:col`).
    /// - Returns: the rows `report` and `measure` added and the printed lines.
    /// - Throws: `DPLError` when a setting is bad, the script does not check, or a statement fails.
    public static func run(source: String, settings: [String: String] = [:], baseDirectory: String? = nil,
                           name: String = "<source>") throws -> DPLRunResult {
        let directory = baseDirectory ?? FileManager.default.currentDirectoryPath
        return try run(SourceFile(name: name, text: source), settings: settings, currentDirectory: directory)
    }

    /// Checks and runs the script at `path`; relative paths in it resolve against its folder.
    /// - Throws: `DPLError` of kind `.unreadableFile` when the file cannot be read, otherwise as `run(source:)`.
    public static func run(file path: String, settings: [String: String] = [:]) throws -> DPLRunResult {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let place = DPLDiagnostic(file: path, line: 1, column: 1,
                                      message: "cannot read the script; check that the file exists and is readable")
            throw DPLError(kind: .unreadableFile, diagnostics: [place], outputLines: [], description: place.description)
        }
        return try run(SourceFile(name: path, text: text), settings: settings,
                       currentDirectory: FileManager.default.currentDirectoryPath)
    }

    /// Reads the results a script saved with `save "x.json"` (or `dpl merge` wrote), as the rows
    /// `run` returns: compare a saved experiment with a new one in Swift.
    /// - Throws: `DPLError` of kind `.unreadableFile` naming the file and the malformed field.
    public static func readResults(file path: String) throws -> [DPLResultRow] {
        do {
            return try ResultsDocument.read(path: path).rows(file: path).map(DPLResultRow.init)
        } catch {
            let place = DPLDiagnostic(file: path, line: 1, column: 1, message: "\(error)")
            throw DPLError(kind: .unreadableFile, diagnostics: [place], outputLines: [], description: place.description)
        }
    }

    /// Parses and checks `source` without running it, as `dpl check` does.
    /// - Throws: `DPLError` of kind `.script` with every problem found.
    public static func check(source: String, name: String = "<source>") throws {
        let session = Session(registry: try makeRegistry().registry) { _ in }
        if case .scriptErrors(let report) = session.check(SourceFile(name: name, text: source)) {
            throw DPLError(kind: .script, report: report, outputLines: [])
        }
    }

    // MARK: Internals

    private static func run(_ source: SourceFile, settings: [String: String], currentDirectory: String) throws -> DPLRunResult {
        let (registry, results) = try makeRegistry()
        // The session calls back on the thread running the script, so the collector needs no lock.
        let printed = PrintedLines()
        var loader = SourceLoader.fileSystem
        loader.currentDirectory = currentDirectory
        let session = Session(registry: registry, loader: loader) { printed.lines.append($0) }
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            // A value that parses but fails when evaluated (a runtime failure) is as wrong as
            // one that does not parse: running with the default instead would hide it.
            switch session.applySetting("\(key)=\(value)") {
            case .success: continue
            case .scriptErrors(let report), .runtimeFailure(let report):
                throw DPLError(kind: .setting, report: report, outputLines: printed.lines)
            case .cancelled(let report):
                throw DPLError(kind: .cancelled, report: report, outputLines: printed.lines)
            }
        }
        switch session.run(source) {
        case .success:
            return DPLRunResult(rows: results.rows.map(DPLResultRow.init), outputLines: printed.lines)
        case .scriptErrors(let report):
            throw DPLError(kind: .script, report: report, outputLines: printed.lines)
        case .runtimeFailure(let report):
            throw DPLError(kind: .runtime, report: report, outputLines: printed.lines)
        case .cancelled(let report):
            throw DPLError(kind: .cancelled, report: report, outputLines: printed.lines)
        }
    }

    /// The built-in stages; a registry that fails to build is a bug in DPL, reported as such.
    private static func makeRegistry() throws -> (registry: StageRegistry, results: ReportedResults) {
        do {
            return try BuiltinStages.makeRegistryWithResults()
        } catch {
            let place = DPLDiagnostic(file: "<dpl>", line: 1, column: 1, message: "the built-in stages did not register: \(error)")
            throw DPLError(kind: .runtime, diagnostics: [place], outputLines: [], description: place.description)
        }
    }
}

/// The lines a session printed, collected by reference from its output callback.
private final class PrintedLines {
    var lines: [String] = []
}
