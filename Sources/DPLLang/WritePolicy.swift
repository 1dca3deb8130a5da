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

    /// A policy allowing the script's folder and `allowedFolders`.
    public init(allowedFolders: [String] = []) {
        self.allowedFolders = allowedFolders
    }

    /// Why writing `path` (absolute or relative to `scriptFolder`) is refused — "`path`: it is
    /// outside …; write under it, or …" — or nil when it lies under `scriptFolder` or an
    /// allowed folder.
    public func refusal(toWrite path: String, scriptFolder: String) -> String? {
        let absolute = path.hasPrefix("/") ? path : (scriptFolder as NSString).appendingPathComponent(path)
        let target = Self.realPath(absolute)
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
