import Foundation
import DPLLang

/// Which weights and dataset files a session's stages may read. A script from someone else's
/// artifact may name any path (`model "/home/me/.ssh/id_rsa.pt"`); DPL never shows a file's
/// contents, but the read itself should be visible and, when asked, refused:
///
/// - Reads outside the usual places — the script's folder, the model folders (`DPL_MODELS`,
///   `models/`, the shipped models) and the Debian dataset folder — are named in provenance
///   (`reads_outside`), so a reviewer of the results sees them.
/// - `--sandbox` refuses them before anything is read.
/// - `dpl verify` reruns with `allowedFiles`: only the inputs whose recorded hashes it checked.
public struct ReadPolicy: Sendable, Equatable {
    /// Whether reads outside the usual places are refused (`dpl run --sandbox`).
    public var sandboxed: Bool
    /// When set, the only files that may be read, by real path (a `dpl verify` rerun).
    public var allowedFiles: Set<String>?

    /// A policy; the default reads anywhere and only names unusual reads in provenance.
    public init(sandboxed: Bool = false, allowedFiles: Set<String>? = nil) {
        self.sandboxed = sandboxed
        self.allowedFiles = allowedFiles.map { Set($0.map(WritePolicy.realPath)) }
    }

    /// The folders whose files are read without comment: the script's folder, the model
    /// folders and the Debian dataset folder.
    static func usualFolders(scriptFolder: String) -> [String] {
        (ModelLibrary.searchFolders(baseDirectory: scriptFolder) + ["/usr/share/datasets"]).map(WritePolicy.realPath)
    }

    /// Whether `path` (after `..` and symbolic links) lies outside the usual folders.
    static func isOutsideUsualFolders(_ path: String, scriptFolder: String) -> Bool {
        let real = WritePolicy.realPath(path)
        return !usualFolders(scriptFolder: scriptFolder).contains { real == $0 || real.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    /// Why `path` may not be read (a clause after "cannot read `path`: "), or nil when it may.
    func refusal(toRead path: String, scriptFolder: String) -> String? {
        let real = WritePolicy.realPath(path)
        if let allowedFiles {
            guard allowedFiles.contains(real) else {
                return "it is not one of the inputs the results file records, and a verification rerun reads only those"
            }
            return nil
        }
        guard sandboxed, Self.isOutsideUsualFolders(path, scriptFolder: scriptFolder) else { return nil }
        return "it lies outside the script's folder, the model folders and /usr/share/datasets, and this run is sandboxed (--sandbox); copy the file beside the script or into models/"
    }
}
