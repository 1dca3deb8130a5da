import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// A script writes only under its own folder and the folders the user allowed (issue 17): a
/// literal path out of it is refused before anything runs, a computed one when it is written,
/// and a `dpl verify` rerun writes nowhere but its own folder.
@Suite("write confinement")
struct WriteConfinementTests {
    func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-outside-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func aLiteralPathOutOfTheScriptsFolderIsRefusedBeforeAnythingRuns() throws {
        let fixture = try ScriptFixture()
        let escape = (fixture.folder as NSString).deletingLastPathComponent + "/dpl-escaped-\(UUID().uuidString).json"
        let result = fixture.run("""
        "ran"
        load images path="$DIR/images" | classify | save "../\((escape as NSString).lastPathComponent)"
        """)
        #expect(result.error?.contains("is outside the script's folder") == true, "\(result.error ?? "")")
        #expect(result.error?.contains("--allow-write") == true)
        #expect(!result.output.contains("ran"), "nothing runs when the check fails")
        #expect(!FileManager.default.fileExists(atPath: escape))
    }

    @Test func aSymbolicLinkOutOfTheFolderDoesNotEscape() throws {
        let fixture = try ScriptFixture()
        let outside = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try FileManager.default.createSymbolicLink(atPath: fixture.folder + "/link", withDestinationPath: outside)
        let result = fixture.run("""
        load images path="$DIR/images" | classify | save "link/r.json"
        """)
        #expect(result.error?.contains("is outside the script's folder") == true, "\(result.error ?? "")")
    }

    @Test func aComputedPathIsRefusedWhenWrittenAndAllowedWithAllowWrite() throws {
        let fixture = try ScriptFixture()
        let outside = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: outside) }
        // The default checkpoint goes under the `out` setting, which the checker cannot judge.
        let script = """
        set out = "\(outside)"
        load images path="$DIR/images" | train classifier arch=cnn-small epochs=1 batch=8
        """
        let refused = fixture.run(script)
        #expect(refused.error?.contains("cannot write") == true, "\(refused.error ?? "")")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)

        let policy = WritePolicy(allowedFolders: [outside])
        #expect(policy.refusal(toWrite: outside + "/train.safetensors", scriptFolder: fixture.folder) == nil)
        #expect(policy.refusal(toWrite: outside + "/../elsewhere.json", scriptFolder: fixture.folder) != nil)
        #expect(policy.refusal(toWrite: "out/r.json", scriptFolder: fixture.folder) == nil)
    }

    @Test func aVerifiedRerunWritesOnlyUnderItsFolder() throws {
        let rerun = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: rerun) }
        let state = RuntimeState(outputRedirect: rerun)
        // The journal and every output of a rerun live in its folder: nothing of the artifact's
        // own `out/` (a journal shipped with it, say) is read back or overwritten.
        #expect(try state.writablePath("out", base: "/artifact") == rerun + "/out")
        #expect(try state.writablePath("/anywhere/r.json", base: "/artifact") == rerun + "/r.json")
        #expect(throws: DPLRuntime.RuntimeError.self) { try state.writablePath("../../x.json", base: "/artifact") }
    }
}
