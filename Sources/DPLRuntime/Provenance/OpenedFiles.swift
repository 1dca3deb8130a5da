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
    }

    private(set) var entries: [Entry] = []

    /// Fingerprints and records `path` unless it is already recorded.
    func record(_ path: String, as role: Role) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard !entries.contains(where: { $0.fingerprint.path == absolute }) else { return }
        entries.append(Entry(role: role, fingerprint: try FileFingerprint.of(path: absolute)))
    }

    /// Forgets every file (the REPL's `:reset`).
    func clear() { entries.removeAll() }
}
