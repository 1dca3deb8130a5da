import Foundation
import Testing
@testable import DPLRuntime

/// `dpl pack` reads an untrusted results file; it writes only inside its folder (issue 17: a
/// crafted script path with `..` made it write a shell script of its choosing elsewhere).
@Suite struct ArtifactPackerTests {
    @Test func aRecordedPathWithDotDotCannotWriteOutsideThePackFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-pack-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let escapeName = "escaped-\(UUID().uuidString).sh"
        let document: [String: Any] = [
            "dpl_version": "0.2.0", "results": [],
            "provenance": [
                "dpl_version": "0.2.0",
                "scripts": [
                    ["path": folder + "/x/main.dpl", "text": "1", "imported": false],
                    ["path": folder + "/x/a/../../../\(escapeName)", "text": "#!/bin/sh\necho owned\n", "imported": true],
                ],
                "files": [],
            ],
        ]
        let results = folder + "/results.json"
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: results))
        var lines: [String] = []
        let code = ArtifactPacker(output: { lines.append($0) }, errors: { lines.append($0) })
            .pack(resultsPath: results, into: folder + "/pack/artifact")
        #expect(code == .failed, "\(lines)")
        #expect(lines.joined().contains("outside the pack folder"), "\(lines)")
        let parent = (folder as NSString).deletingLastPathComponent
        #expect(!FileManager.default.fileExists(atPath: parent + "/" + escapeName))
        #expect(!FileManager.default.fileExists(atPath: folder + "/" + escapeName))
    }
}
