import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// The `provenance` and `run` sections written by `save`, checked against the files themselves.
@Suite("provenance", .serialized)
struct ProvenanceDocumentTests {
    let fixture: ScriptFixture

    init() throws { fixture = try ScriptFixture.trained() }

    @Test func jsonRecordsScriptsFilesSettingsAndStages() throws {
        let (script, error) = try runExperiment(fixtureExperiment, in: fixture, settings: ["seed=3"], extraFiles: fixtureImport)
        #expect(error == nil, "\(error ?? "")")
        let document = try readJSONObject(fixture.folder + "/results.json")
        let provenance = try #require(document["provenance"] as? [String: Any])
        #expect(provenance["dpl_version"] as? String == DPLVersion.current)
        #expect((provenance["source_commit"] as? String).map { $0 == "unknown" || $0.count == 40 } == true)

        let scripts = try #require(provenance["scripts"] as? [[String: Any]])
        #expect(scripts.count == 2)
        let main = try #require(scripts.first { $0["imported"] as? Bool == false })
        #expect(main["sha256"] as? String == SHA256.hex(script), "the script's hash is the hash of its text")
        #expect(main["text"] as? String == script)
        let imported = try #require(scripts.first { $0["imported"] as? Bool == true })
        #expect(imported["sha256"] as? String == SHA256.hex("set batch = 4\n"))
        #expect((imported["path"] as? String)?.hasSuffix("/common.dpl") == true)

        let files = try #require(provenance["files"] as? [[String: Any]])
        let weights = try #require(files.first { $0["role"] as? String == "weights" })
        let actual = try FileFingerprint.of(path: fixture.folder + "/cnn.safetensors")
        #expect(weights["sha256"] as? String == actual.sha256, "the weights' hash is the file's hash")
        #expect((weights["size"] as? NSNumber)?.intValue == actual.size)
        #expect(files.filter { $0["role"] as? String == "dataset" }.count == 16, "every image file read")

        let settings = try #require(provenance["settings"] as? [String: String])
        #expect(settings["batch"] == "4" && settings["seed"] == "3" && settings["out"] == "\"out\"")
        #expect(provenance["set_assignments"] as? [String] == ["seed=3"])

        let stages = try #require(provenance["stages"] as? [[String: Any]])
        #expect(stages.map { $0["stage"] as? String ?? "" } == ["load", "classify", "report", "save"])
        let classify = try #require(stages[1]["arguments"] as? [String: String])
        #expect(classify["eval"] == "\"single\"", "parameters are recorded after defaults were applied")
        #expect((stages[0]["arguments"] as? [String: String])?["offset"] == "0")
        #expect(((provenance["threads"] as? Int) ?? 0) >= 1)
        let machine = try #require(provenance["machine"] as? [String: Any])
        #expect(machine["cpu"] is String && machine["os"] is String)
        // Which kernels computed the numbers (they may differ in the last bits between machines).
        let kernels = try #require(machine["kernels"] as? String)
        #expect(kernels == MachineDescription.kernels)
        #expect(kernels.hasPrefix("DPL avx512, OpenBLAS ") || kernels.hasPrefix("DPL portable, OpenBLAS "))
    }

    @Test func runSectionHoldsWhatVariesAndProvenanceDoesNot() throws {
        let (_, error) = try runExperiment(fixtureExperiment, in: fixture, extraFiles: fixtureImport)
        #expect(error == nil, "\(error ?? "")")
        let first = try readJSONObject(fixture.folder + "/results.json")
        let run = try #require(first["run"] as? [String: Any])
        #expect(run["started"] is String && run["saved"] is String && run["host"] is String && run["seconds"] is NSNumber)
        let provenance = try #require(first["provenance"] as? [String: Any])
        for key in ["started", "saved", "host", "seconds"] { #expect(provenance[key] == nil) }

        _ = try runExperiment(fixtureExperiment, in: fixture, extraFiles: fixtureImport)
        let second = try readJSONObject(fixture.folder + "/results.json")
        #expect(NSDictionary(dictionary: provenance).isEqual(to: second["provenance"] as? [String: Any] ?? [:]),
                "two runs of one experiment have equal provenance")
    }

    @Test func csvStartsWithProvenanceComments() throws {
        let experiment = fixtureExperiment.replacingOccurrences(of: "results.json", with: "results.csv")
        let (script, error) = try runExperiment(experiment, in: fixture, extraFiles: fixtureImport)
        #expect(error == nil, "\(error ?? "")")
        let lines = try String(contentsOfFile: fixture.folder + "/results.csv", encoding: .utf8).split(separator: "\n")
        let comments = lines.prefix { $0.hasPrefix("#") }.filter { $0.hasPrefix("# provenance: ") }
        #expect(comments.contains { $0.hasPrefix("# provenance: scripts = ") && $0.contains(SHA256.hex(script)) })
        #expect(comments.contains { $0.hasPrefix("# provenance: settings = ") && $0.contains("\"batch\":\"4\"") })
        #expect(comments.contains { $0.hasPrefix("# provenance: files = ") })
        #expect(!comments.contains { $0.contains("set batch") }, "script texts stay out of the CSV")
    }

    @Test func pngAndSvgCarryProvenance() throws {
        let (_, error) = try runExperiment("""
        load images path="$DIR/images" n=4 | save "$DIR/grid.png"
        """, in: fixture)
        #expect(error == nil, "\(error ?? "")")
        let png = try Data(contentsOf: URL(fileURLWithPath: fixture.folder + "/grid.png"))
        #expect(String(decoding: png, as: UTF8.self).contains("tEXtdpl:provenance"))
        let sections = EmbeddedProvenance(
            provenance: ProvenanceRecord(dplVersion: "0.3.0", sourceCommit: "<b>", scripts: [], setAssignments: [], settings: [:],
                                         stages: [], files: [], threads: 1, machine: .init(cpu: "c", os: "o", cores: 1)),
            run: RunRecord(file: "p.svg"))
        let svg = try ProvenanceEmbedding.svg("<?xml version=\"1.0\"?>\n<svg width=\"1\">\n</svg>", sections: sections)
        #expect(svg.contains("<metadata id=\"dpl-provenance\">{\"provenance\":{"))
        #expect(svg.contains("\"source_commit\":\"&lt;b&gt;\""))
        #expect(svg.contains("\"run\":{\"file\":\"p.svg\"}}</metadata>"))
        #expect(isWellFormedXML(svg))
    }
}
