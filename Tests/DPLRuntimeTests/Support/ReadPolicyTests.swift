import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// Reads of weights and data outside the usual places: named in provenance, refused with
/// `--sandbox`, and a `dpl verify` rerun reads only the inputs the results file records.
@Suite("read policy", .serialized)
struct ReadPolicyTests {
    let fixture: ScriptFixture
    /// A folder outside the fixture's (the script's) folder holding a copy of its classifier.
    let elsewhere: String

    init() throws {
        fixture = try ScriptFixture.withClassifier()
        elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-elsewhere-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.folder + "/cnn.safetensors", toPath: elsewhere + "/cnn.safetensors")
    }

    /// Runs `text` as the script `run.dpl` in the fixture's folder with `policy`.
    func run(_ text: String, policy: ReadPolicy) throws -> String? {
        let session = Session(registry: try BuiltinStages.makeRegistry(readPolicy: policy)) { _ in }
        let script = text.replacingOccurrences(of: "$DIR", with: fixture.folder).replacingOccurrences(of: "$ELSEWHERE", with: elsewhere)
        return session.run(SourceFile(name: fixture.folder + "/run.dpl", text: script)).errorText
    }

    @Test func readsOutsideTheUsualFoldersAreNamedInProvenance() throws {
        let error = try run("""
        load images path="$DIR/images" n=4 | classify model="$ELSEWHERE/cnn.safetensors" | report | save "$DIR/r.json"
        """, policy: ReadPolicy())
        #expect(error == nil, "\(error ?? "")")
        // Provenance lists the files of the whole session, so the usual reads run in another.
        let usual = try run("""
        load images path="$DIR/images" n=4 | classify model="$DIR/cnn.safetensors" | report | save "$DIR/s.json"
        """, policy: ReadPolicy())
        #expect(usual == nil, "\(usual ?? "")")
        let outside = try ResultsDocument.read(path: fixture.folder + "/r.json").provenance?.readsOutside
        #expect(outside == [URL(fileURLWithPath: elsewhere + "/cnn.safetensors").standardizedFileURL.path])
        #expect(try ResultsDocument.read(path: fixture.folder + "/s.json").provenance?.readsOutside == nil,
                "the script's own folder is a usual place (the images and the model beside it)")
    }

    @Test func aSandboxedRunRefusesWeightsAndDataOutsideAndSeesThroughLinks() throws {
        let weights = try run("""
        load images path="$DIR/images" n=4 | classify model="$ELSEWHERE/cnn.safetensors" | report
        """, policy: ReadPolicy(sandboxed: true))
        #expect(weights?.contains("cannot read `\(elsewhere)/cnn.safetensors`: it lies outside the script's folder") == true, "\(weights ?? "no error")")
        #expect(weights?.contains("--sandbox") == true)

        try FileManager.default.copyItem(atPath: fixture.folder + "/images", toPath: elsewhere + "/images")
        let data = try run("""
        load images path="$ELSEWHERE/images" n=4 | classify model="$DIR/cnn.safetensors" | report
        """, policy: ReadPolicy(sandboxed: true))
        #expect(data?.contains("cannot read `\(elsewhere)/images`") == true, "\(data ?? "no error")")

        // A link inside the script's folder that leads out of it is judged by where it leads.
        try FileManager.default.createSymbolicLink(atPath: fixture.folder + "/linked.safetensors", withDestinationPath: elsewhere + "/cnn.safetensors")
        let linked = try run("""
        load images path="$DIR/images" n=4 | classify model="$DIR/linked.safetensors" | report
        """, policy: ReadPolicy(sandboxed: true))
        #expect(linked?.contains("lies outside") == true, "\(linked ?? "no error")")

        let inside = try run("""
        load images path="$DIR/images" n=4 | classify model="$DIR/cnn.safetensors" | report
        """, policy: ReadPolicy(sandboxed: true))
        #expect(inside == nil, "\(inside ?? "")")
    }

    /// A results file whose script reads a weights file the file does not record cannot make a
    /// verification read it, though nothing recorded is missing.
    @Test func aVerificationRerunReadsOnlyTheRecordedInputs() throws {
        let script = """
        load images path="\(fixture.folder)/images" n=4 | classify model="\(elsewhere)/cnn.safetensors" | report | save "r.json"
        """
        let document = ResultsDocument(
            results: [], provenance: ProvenanceRecord(
                dplVersion: DPLVersion.current, sourceCommit: "unknown",
                scripts: [.init(path: fixture.folder + "/forged.dpl", sha256: SHA256.hex(script), text: script, imported: false)],
                setAssignments: [], settings: [:], stages: [], files: [], threads: 1, machine: .init(cpu: "c", os: "o", cores: 1)),
            run: RunRecord(file: "r.json"))
        try document.json().write(toFile: fixture.folder + "/forged.json", atomically: true, encoding: .utf8)
        var lines: [String] = []
        let code = ResultVerifier(output: { lines.append($0) }, errors: { lines.append($0) })
            .verify(resultsPath: fixture.folder + "/forged.json")
        #expect(code == .failed, "\(lines)")
        #expect(lines.joined().contains("not one of the inputs the results file records"), "\(lines)")
    }
}
