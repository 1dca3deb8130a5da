import Foundation

// MARK: - Files identified by content

/// A file as provenance records it: where it was opened, its SHA-256 and its size.
public struct FileFingerprint: Equatable, Sendable {
    /// The absolute path it was opened at.
    public let path: String
    /// Lowercase hex SHA-256 of its bytes.
    public let sha256: String
    /// Its size in bytes.
    public let size: Int

    /// The fingerprint of the file at `path`, hashed at most once per process for one
    /// (path, size, modification time): a session reading the same dataset for every sweep
    /// point pays for the hash once.
    public static func of(path: String) throws -> FileFingerprint {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let attributes = try FileManager.default.attributesOfItem(atPath: absolute)
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let key = HashCache.Key(path: absolute, size: size, modified: modified)
        if let cached = HashCache.shared.lookup(key) { return FileFingerprint(path: absolute, sha256: cached, size: size) }
        let digest = try SHA256.hex(fileAt: absolute)
        HashCache.shared.store(key, digest)
        return FileFingerprint(path: absolute, sha256: digest, size: size)
    }
}

/// The process-wide table of file hashes already computed.
private final class HashCache: @unchecked Sendable {
    struct Key: Hashable {
        let path: String
        let size: Int
        let modified: Double
    }

    static let shared = HashCache()
    private let lock = NSLock()
    private var digests: [Key: String] = [:]

    func lookup(_ key: Key) -> String? { lock.withLock { digests[key] } }
    func store(_ key: Key, _ digest: String) { lock.withLock { digests[key] = digest } }
}
