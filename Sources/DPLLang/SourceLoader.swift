import Foundation

// MARK: - Reading imported scripts

/// How `import` finds and reads files; tests substitute an in-memory file system.
public struct SourceLoader {
    /// Reads the file at an absolute, resolved path.
    public var read: (String) throws -> String
    /// The current directory, against which scripts without a folder resolve.
    public var currentDirectory: String

    /// Creates a loader from a read function.
    public init(currentDirectory: String, read: @escaping (String) throws -> String) {
        self.currentDirectory = currentDirectory
        self.read = read
    }

    /// Reads from the real file system.
    public static var fileSystem: SourceLoader {
        SourceLoader(currentDirectory: FileManager.default.currentDirectoryPath) { path in
            try String(contentsOfFile: path, encoding: .utf8)
        }
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
