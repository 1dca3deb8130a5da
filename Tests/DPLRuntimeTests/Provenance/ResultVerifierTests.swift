import Foundation
import Testing
@testable import DPLRuntime
import DPLNN

/// `dpl verify` and `dpl pack` on a tiny experiment.
@Suite("verify and pack", .serialized)
struct ResultVerifierTests {
    let fixture: ScriptFixture

    init() throws { fixture = try ScriptFixture.trained() }

    func verify(_ path: String, tolerance: Double = 0) -> (code: CommandResult, output: String) {
        var lines: [String] = []
        let code = ResultVerifier(tolerance: tolerance, output: { lines.append($0) }, errors: { lines.append($0) }).verify(resultsPath: path)
        return (code, lines.joined(separator: "\n"))
    }

    @Test func rerunIsIdenticalAndLeavesTheUsersFileAlone() throws {
        let (_, error) = try runExperiment(fixtureExperiment, in: fixture, settings: ["seed=2"], extraFiles: fixtureImport)
        #expect(error == nil, "\(error ?? "")")
        let path = fixture.folder + "/results.json"
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let (code, output) = verify(path)
        #expect(code == .success, "\(output)")
        #expect(output.contains("clean: identical"), "\(output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the rerun writes elsewhere")
    }

    @Test func changedWeightsAreNamedBeforeRerunning() throws {
        let (_, error) = try runExperiment(fixtureExperiment, in: fixture, extraFiles: fixtureImport)
        #expect(error == nil, "\(error ?? "")")
        let weights = fixture.folder + "/cnn.safetensors"
        let expected = try FileFingerprint.of(path: weights).sha256
        var bytes = try Data(contentsOf: URL(fileURLWithPath: weights))
        bytes.append(0)
        try bytes.write(to: URL(fileURLWithPath: weights))
        let (code, output) = verify(fixture.folder + "/results.json")
        #expect(code == .notReproduced)
        #expect(output.contains(weights) && output.contains(expected) && output.contains(SHA256.hex(Array(bytes))), "\(output)")
        #expect(!output.contains("rerunning"), "nothing reruns with a changed file")
    }

    @Test func differencesAreListedAndToleranceIsApplied() {
        var differences: [String] = []
        var largest = 0.0
        JSONComparison.compare(.object(["a": .number(0.5), "b": .array([.number(1), .number(2)])]),
                               .object(["a": .number(0.5000001), "b": .array([.number(1), .number(3)])]), path: "", tolerance: 1e-6,
                               largest: &largest, differences: &differences)
        #expect(differences == ["b[1]: 2 → 3"])
        #expect(largest > 0 && largest < 1e-6)
    }

    @Test func packWritesAFolderThatVerifies() throws {
        let (_, error) = try runExperiment(fixtureExperiment, in: fixture, extraFiles: fixtureImport)
        #expect(error == nil, "\(error ?? "")")
        let target = fixture.folder + "/artifact"
        var lines: [String] = []
        let code = ArtifactPacker(output: { lines.append($0) }, errors: { lines.append($0) })
            .pack(resultsPath: fixture.folder + "/results.json", into: target)
        #expect(code == .success, "\(lines)")
        let fm = FileManager.default
        for name in ["experiment.dpl", "common.dpl", "results.json", "README.md", "models/cnn.safetensors"] {
            #expect(fm.fileExists(atPath: target + "/" + name), "\(name)")
        }
        let readme = try String(contentsOfFile: target + "/README.md", encoding: .utf8)
        #expect(readme.contains("dpl verify results.json") && readme.contains("dpl run experiment.dpl"))
        #expect(try FileFingerprint.of(path: target + "/models/cnn.safetensors").sha256
                == FileFingerprint.of(path: fixture.folder + "/cnn.safetensors").sha256)
        #expect(ArtifactPacker(output: { _ in }, errors: { _ in }).pack(resultsPath: fixture.folder + "/results.json", into: target) != .success,
                "never packs into a folder that holds files")
        let (verified, output) = verify(target + "/results.json")
        #expect(verified == .success, "\(output)")
    }
}
