import Foundation

// MARK: - Where a script may write

/// Where a script may write files (docs/security.md): under its own folder, and under folders
/// the user named with `--allow-write` — never anywhere else the user can write, because a
/// script may come from someone else's artifact. A path is judged after `..` and symbolic
/// links are resolved, so neither `save "../../x.json"` nor a link inside the folder that
/// points out of it escapes. The checker applies the policy to literal paths before anything
/// runs; the runtime applies it to every path it writes.
public struct WritePolicy: Sendable, Equatable {
    /// Folders the user allowed besides the script's own (absolute, as given).
    public var allowedFolders: [String]
    /// When set (`dpl verify`'s rerun), every write goes under this folder instead — a
    /// relative path at the same place under it, an absolute path by its file name — and
    /// nothing may leave it; `allowedFolders` are then ignored.
    public var redirect: String?

    /// A policy allowing the script's folder and `allowedFolders`, or, with `redirect`, only
    /// that folder.
    public init(allowedFolders: [String] = [], redirect: String? = nil) {
        self.allowedFolders = allowedFolders
        self.redirect = redirect
    }

    /// Where a write of `path` (absolute, or relative to `scriptFolder`) lands: the path
    /// itself, or its place under the redirect folder.
    public func destination(of path: String, scriptFolder: String) -> String {
        guard let redirect else {
            let absolute = path.hasPrefix("/") ? path : (scriptFolder as NSString).appendingPathComponent(path)
            return URL(fileURLWithPath: absolute).standardizedFileURL.path
        }
        let relative = path.hasPrefix("/") ? (path as NSString).lastPathComponent : path
        return URL(fileURLWithPath: (redirect as NSString).appendingPathComponent(relative)).standardizedFileURL.path
    }

    /// Why writing `path` (absolute or relative to `scriptFolder`) is refused — "`path`: it is
    /// outside …; write under it, or …" — or nil when its destination lies under
    /// `scriptFolder` or an allowed folder (with a redirect: under the redirect folder).
    public func refusal(toWrite path: String, scriptFolder: String) -> String? {
        let target = Self.realPath(destination(of: path, scriptFolder: scriptFolder))
        if let redirect {
            if Self.contains(Self.realPath(redirect), target) { return nil }
            return "`\(path)`: it leads outside the rerun's folder \(redirect), and a verified rerun writes only there"
        }
        let folders = [scriptFolder] + allowedFolders
        if folders.contains(where: { Self.contains(Self.realPath($0), target) }) { return nil }
        return "`\(path)`: it is outside the script's folder \(scriptFolder)\(allowedFolders.isEmpty ? "" : " and the folders allowed with --allow-write"), and a script writes only there; write under it, or run with --allow-write \((target as NSString).deletingLastPathComponent) if you trust this script"
    }

    /// Whether `path` is `folder` or inside it (both real paths).
    public static func contains(_ folder: String, _ path: String) -> Bool {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return path == folder || path.hasPrefix(prefix)
    }

    /// `path` with `.`, `..` and symbolic links resolved: the deepest part that exists is
    /// resolved by the file system, the rest (which does not exist yet) is appended as written.
    public static func realPath(_ path: String) -> String {
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        var existing = standardized
        var rest: [String] = []
        while !existing.isEmpty, existing != "/", !FileManager.default.fileExists(atPath: existing) {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        var resolved = existing
        if let real = realpath(existing, nil) {
            resolved = String(cString: real)
            free(real)
        }
        for component in rest { resolved = (resolved as NSString).appendingPathComponent(component) }
        return resolved
    }
}
