import Foundation
import DPLLang
@testable import DPLRuntime

/// Runs `text` as the script file `experiment.dpl` in the fixture's folder (written to disk,
/// `$DIR` replaced) in a fresh session, so its provenance holds only that script.
func runExperiment(_ text: String, in fixture: ScriptFixture, settings: [String] = [],
                   extraFiles: [String: String] = [:]) throws -> (script: String, error: String?) {
    let script = text.replacingOccurrences(of: "$DIR", with: fixture.folder)
    for (name, contents) in extraFiles {
        try contents.replacingOccurrences(of: "$DIR", with: fixture.folder)
            .write(toFile: fixture.folder + "/" + name, atomically: true, encoding: .utf8)
    }
    try script.write(toFile: fixture.folder + "/experiment.dpl", atomically: true, encoding: .utf8)
    let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
    for assignment in settings {
        if let error = session.applySetting(assignment).errorText { return (script, error) }
    }
    return (script, session.run(SourceFile(name: fixture.folder + "/experiment.dpl", text: script)).errorText)
}

/// The JSON object in the file at `path`.
func readJSONObject(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
}

/// A small experiment on the fixture: classify with the fixture's classifier, report, save.
let fixtureExperiment = """
import "common.dpl"
load images path="$DIR/images" | classify model="$DIR/cnn.safetensors" | report as "clean" | save "$DIR/results.json"
"""

/// The file `fixtureExperiment` imports.
let fixtureImport = ["common.dpl": "set batch = 4\n"]
