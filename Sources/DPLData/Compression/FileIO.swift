import Foundation

// MARK: - Reading

/// The bytes of the file at `path`.
/// - Throws: `DataError` naming the file when it is missing or unreadable.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
        throw DataError(path: path, "file not found")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError(path: path, "could not read the file; check its permissions")
    }
    return [UInt8](data)
}

/// Whether `bytes` start with the gzip magic number 1f 8b.
public func isGzip(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// The contents of `path`, gunzipped when the file starts with the gzip magic number (whatever
/// its name), as is otherwise.
/// - Throws: `DataError` naming the file when it is missing, its gzip stream is corrupt or
///   truncated, or it decompresses to more than `limits.maximumDecompressedBytes`.
public func readPossiblyGzipped(_ path: String, limits: DecodeLimits = .standard) throws -> [UInt8] {
    let raw = try readFileBytes(path)
    guard isGzip(raw) else { return raw }
    return try inflateStream(raw, container: .gzip, path: path,
                             limit: .atMost(limits.maximumDecompressedBytes, reason: limits.decompressedReason))
}

// MARK: - Limits

/// Bounds on what a data file may make DPL allocate, checked against the sizes a file
/// declares before anything of that size is allocated or decompressed.
public struct DecodeLimits: Sendable {
    /// Most samples (width × height × channels) of one decoded image: 2^26, a 4096×4096 RGBA
    /// image, 256 MiB as floats.
    public var maximumImageSamples: Int
    /// Most bytes a compressed file may decompress to: 2 GiB (Fashion-MNIST's training images
    /// are 47 MB).
    public var maximumDecompressedBytes: Int

    /// Limits with the given bounds; the defaults are `standard`.
    public init(maximumImageSamples: Int = 1 << 26, maximumDecompressedBytes: Int = 1 << 31) {
        self.maximumImageSamples = maximumImageSamples
        self.maximumDecompressedBytes = maximumDecompressedBytes
    }

    /// The limits every reader uses unless given others.
    public static let standard = DecodeLimits()

    /// How an error ends when `maximumDecompressedBytes` is exceeded.
    var decompressedReason: String {
        "the most DPL decompresses from one file (DecodeLimits.maximumDecompressedBytes); the file is damaged or a decompression bomb"
    }
}

// MARK: - Writing

/// Writes `bytes` to `path` atomically: into a temporary file in the same folder, then
/// renamed over `path`, so a reader never sees a half-written file and a crash leaves the old
/// file intact.
/// - Throws: `DataError` naming the file when the folder is missing or not writable.
public func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent()
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
        throw DataError(path: path, "cannot write: folder \(folder.path) does not exist; create it first")
    }
    removeAbandonedTemporaries(of: url.lastPathComponent, in: folder.path)
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp")
    do {
        try Data(bytes).write(to: temporary)
    } catch {
        throw DataError(path: path, "cannot write into folder \(folder.path): \(error.localizedDescription)")
    }
    guard rename(temporary.path, path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        throw DataError(path: path, "cannot replace the file: \(reason)")
    }
}

/// Deletes `.<name>.<pid>.<random>.tmp` files in `folder` left by a writer of `name` that was
/// killed before its rename (kill -9 during a save): their process no longer exists, so no
/// one will finish or remove them. A temporary of a live process (another run writing the same
/// file) is left alone.
func removeAbandonedTemporaries(of name: String, in folder: String) {
    let prefix = ".\(name)."
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for entry in entries where entry.hasPrefix(prefix) && entry.hasSuffix(".tmp") {
        let middle = entry.dropFirst(prefix.count).dropLast(".tmp".count).split(separator: ".")
        guard middle.count == 2, let pid = Int32(middle[0]), UInt32(middle[1]) != nil, pid > 0 else { continue }
        // kill(pid, 0) fails with ESRCH exactly when no such process exists.
        if kill(pid, 0) != 0 && errno == ESRCH {
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(entry))
        }
    }
}
