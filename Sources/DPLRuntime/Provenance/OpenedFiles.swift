import Foundation

// MARK: - Files a session read

/// The weights and dataset files a session opened, fingerprinted as they are opened, in the
/// order first opened. Provenance lists them so `dpl verify` can tell a changed file from a
/// changed result.
final class OpenedFiles {
    /// What a file was opened as.
    enum Role: String {
        case weights
        case dataset
    }

    /// One opened file.
    struct Entry {
        let role: Role
        let fingerprint: FileFingerprint
        /// Whether it lies outside the script's folder, the model folders and the dataset
        /// folder (provenance names such reads).
        let outsideUsualFolders: Bool
    }

    private(set) var entries: [Entry] = []
    /// Which files may be read.
    let policy: ReadPolicy

    init(policy: ReadPolicy = ReadPolicy()) { self.policy = policy }

    /// Refuses `path` when the policy does; called before a file is read.
    /// - Throws: `RuntimeError` naming the file and why it may not be read.
    func permit(_ path: String, scriptFolder: String) throws {
        if let refusal = policy.refusal(toRead: path, scriptFolder: scriptFolder) { throw RuntimeError("cannot read `\(path)`: \(refusal)") }
    }

    /// Checks `path` against the policy, then fingerprints and records it unless it is
    /// already recorded.
    /// - Throws: `RuntimeError` when the policy refuses the file or it cannot be read.
    func record(_ path: String, as role: Role, scriptFolder: String) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        try permit(absolute, scriptFolder: scriptFolder)
        guard !entries.contains(where: { $0.fingerprint.path == absolute }) else { return }
        entries.append(Entry(role: role, fingerprint: try FileFingerprint.of(path: absolute),
                             outsideUsualFolders: ReadPolicy.isOutsideUsualFolders(absolute, scriptFolder: scriptFolder)))
    }

    /// Forgets every file (the REPL's `:reset`).
    func clear() { entries.removeAll() }
}
