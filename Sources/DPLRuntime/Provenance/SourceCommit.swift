import Foundation

// MARK: - The commit this binary was built from

/// Reads the git commit of the DPL checkout this binary was compiled from, straight from its
/// `.git` (no `git` process): HEAD, then the loose ref or `packed-refs`. A worktree's `.git` is a
/// file (`gitdir: …`) whose refs live in the common directory named by its `commondir`.
public enum SourceCommit {
    /// The commit hash, or "unknown" when the package is not a git checkout.
    public static let current: String = read(packageRoot: packageRoot) ?? "unknown"

    /// The package root: three folders above this file (Sources/DPLRuntime/Provenance).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// The commit checked out in the repository or worktree at `packageRoot`, or nil.
    static func read(packageRoot: String) -> String? {
        let dotGit = (packageRoot as NSString).appendingPathComponent(".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit, isDirectory: &isDirectory) else { return nil }
        var gitDirectory = dotGit
        if !isDirectory.boolValue {
            guard let text = try? String(contentsOfFile: dotGit, encoding: .utf8),
                  let line = text.split(separator: "\n").first, line.hasPrefix("gitdir:") else { return nil }
            let named = line.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespaces)
            gitDirectory = named.hasPrefix("/") ? named : (packageRoot as NSString).appendingPathComponent(named)
        }
        var commonDirectory = gitDirectory
        if let common = try? String(contentsOfFile: gitDirectory + "/commondir", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), !common.isEmpty {
            commonDirectory = common.hasPrefix("/") ? common
                : URL(fileURLWithPath: gitDirectory + "/" + common).standardizedFileURL.path
        }
        guard let head = try? String(contentsOfFile: gitDirectory + "/HEAD", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        guard head.hasPrefix("ref:") else { return isCommitHash(head) ? head : nil }
        let ref = head.dropFirst("ref:".count).trimmingCharacters(in: .whitespaces)
        // A branch's loose ref is in the worktree's own folder only for per-worktree refs;
        // branches (refs/heads) live in the common directory.
        for folder in [gitDirectory, commonDirectory] {
            if let hash = try? String(contentsOfFile: folder + "/" + ref, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), isCommitHash(hash) { return hash }
        }
        for folder in [gitDirectory, commonDirectory] {
            guard let packed = try? String(contentsOfFile: folder + "/packed-refs", encoding: .utf8) else { continue }
            for line in packed.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("^") {
                let parts = line.split(separator: " ", maxSplits: 1)
                if parts.count == 2, parts[1] == ref, isCommitHash(String(parts[0])) { return String(parts[0]) }
            }
        }
        return nil
    }

    private static func isCommitHash(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy(\.isHexDigit)
    }
}
