import Foundation
import Testing
@testable import DPLRuntime

/// Reading the commit from `.git` without running git: a checkout, a worktree, packed refs.
@Suite("source commit")
struct SourceCommitTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-git-\(UUID().uuidString)").path
    let commit = String(repeating: "ab12", count: 10)

    func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: ((root + "/" + path) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8)
    }

    @Test func looseRefPackedRefDetachedAndWorktree() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("ref: refs/heads/main\n", "repo/.git/HEAD")
        try write(commit + "\n", "repo/.git/refs/heads/main")
        #expect(SourceCommit.read(packageRoot: root + "/repo") == commit)

        try FileManager.default.removeItem(atPath: root + "/repo/.git/refs/heads/main")
        try write("# pack-refs with: peeled\n\(commit) refs/heads/main\n", "repo/.git/packed-refs")
        #expect(SourceCommit.read(packageRoot: root + "/repo") == commit)

        try write("gitdir: \(root)/repo/.git/worktrees/wt\n", "wt/.git")
        try write("ref: refs/heads/main\n", "repo/.git/worktrees/wt/HEAD")
        try write("../..\n", "repo/.git/worktrees/wt/commondir")
        #expect(SourceCommit.read(packageRoot: root + "/wt") == commit, "a worktree's branch lives in the common folder")

        try write(commit + "\n", "repo/.git/HEAD")
        #expect(SourceCommit.read(packageRoot: root + "/repo") == commit, "detached HEAD")
        #expect(SourceCommit.read(packageRoot: root + "/nothing") == nil)
    }
}
