import Foundation

// MARK: - Reading imported scripts

/// How `import` finds and reads files; tests substitute an in-memory file system.
public struct SourceLoader {
    /// Reads the file at an absolute, resolved path.
    public var read: (String) throws -> String
    /// The current directory, against which scripts without a folder resolve.
    public var currentDirectory: String
    /// The one name of the file a resolved path reaches (symbolic links followed), so a file
    /// reached through two paths is imported once and an import cycle is seen as one.
    public var canonicalPath: (String) -> String

    /// Creates a loader from a read function; paths are their own canonical names unless
    /// `canonicalPath` says otherwise.
    public init(currentDirectory: String, canonicalPath: @escaping (String) -> String = { $0 },
                read: @escaping (String) throws -> String) {
        self.currentDirectory = currentDirectory
        self.canonicalPath = canonicalPath
        self.read = read
    }

    /// Reads from the real file system.
    public static var fileSystem: SourceLoader {
        SourceLoader(currentDirectory: FileManager.default.currentDirectoryPath,
                     canonicalPath: { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }) { path in
            try String(contentsOfFile: path, encoding: .utf8)
        }
    }

    /// The canonical name of the file a script called `scriptName` was read from, or nil for
    /// sources without a file (`-e`, standard input, the REPL).
    public func canonicalName(ofScript scriptName: String) -> String? {
        guard !scriptName.hasPrefix("<") else { return nil }
        return canonicalPath(resolve(scriptName, relativeTo: "<command line>"))
    }

    /// Why `canonical` (a path `canonicalPath` gave) may not be imported, or nil. Only `.dpl`
    /// files are imported: a diagnostic quotes the imported file's lines, and `import
    /// "/proc/self/environ"` (or a `.dpl` link to it) must not print the environment.
    public static func importRefusal(_ canonical: String, written path: String) -> String? {
        guard canonical.lowercased().hasSuffix(".dpl") else {
            let reached = canonical == path ? "" : " (it resolves to \(canonical))"
            return "can only import DPL scripts, whose names end in .dpl, but `\(path)` does not\(reached); rename the file"
        }
        return nil
    }

    /// Why `text`, read from an imported file, is not a script, or nil; checked before
    /// anything from it is shown.
    public static func binaryRefusal(_ text: String, written path: String) -> String? {
        guard text.utf8.contains(0) else { return nil }
        return "`\(path)` is not a text file (it holds NUL bytes), so it cannot be a DPL script"
    }

    /// The folder a script's relative paths resolve against: the script's own folder, or the
    /// current directory for sources without a file (`-e`, standard input, the REPL).
    public func baseDirectory(of scriptName: String) -> String {
        guard !scriptName.hasPrefix("<") else { return currentDirectory }
        let absolute = scriptName.hasPrefix("/") ? scriptName : currentDirectory + "/" + scriptName
        return URL(fileURLWithPath: absolute).deletingLastPathComponent().standardizedFileURL.path
    }

    /// `path` resolved against the folder of `importer`, normalized so one file has one name.
    public func resolve(_ path: String, relativeTo importer: String) -> String {
        let absolute = path.hasPrefix("/") ? path : baseDirectory(of: importer) + "/" + path
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }
}
