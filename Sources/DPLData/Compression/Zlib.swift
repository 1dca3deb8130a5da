import _CZlib

/// The container around a deflate stream.
public enum DeflateContainer: Sendable {
    /// RFC 1950 zlib (2-byte header, Adler-32 trailer), as inside PNG `IDAT` chunks.
    case zlib
    /// RFC 1952 gzip (10-byte header, CRC-32 trailer), as in `.gz` files. Several members
    /// one after another decode to their concatenation, as `gunzip` does.
    case gzip

    fileprivate var windowBits: Int32 { self == .zlib ? 15 : 15 + 16 }
    fileprivate var name: String { self == .zlib ? "zlib" : "gzip" }
}

// MARK: - Inflate

/// How many bytes an inflate may produce. Deflate shrinks runs of zeros about 1000 times, so
/// an 8 MB file can expand to 8 GB; a reader that knows from a header how much it needs says so.
public enum InflateLimit: Sendable {
    /// Decompress the whole stream.
    case unlimited
    /// Stop once this many bytes are out, leaving the rest of the stream unread (a header
    /// read first, or image data whose size the header fixed).
    case prefix(Int)
    /// Fail as soon as the stream produces more than this many bytes; `reason` ends the error
    /// sentence ("… more than 4096 bytes, `reason`").
    case atMost(Int, reason: String)
}

/// Decompresses `data` in bounded chunks with zlib, never holding more than `limit` allows
/// (plus one chunk of 256 KiB).
///
/// - Parameter path: the file the data came from, named in errors.
/// - Throws: `DataError` when the stream is corrupt (with zlib's reason and the compressed
///   byte offset), ends before the end-of-stream marker (truncated), or exceeds `limit`.
public func inflateStream(_ data: [UInt8], container: DeflateContainer, path: String,
                          limit: InflateLimit = .unlimited) throws -> [UInt8] {
    guard data.count <= Int(UInt32.max) else {
        throw DataError(path: path, "has \(data.count) compressed bytes; streams over 4 GiB are not supported")
    }
    var output: [UInt8] = []
    switch limit {
    case .unlimited: output.reserveCapacity(data.count * 4)
    case .prefix(let count), .atMost(let count, _): output.reserveCapacity(min(count, data.count * 4))
    }
    let chunkSize = 1 << 18
    var chunk = [UInt8](repeating: 0, count: chunkSize)
    try data.withUnsafeBufferPointer { inputBuffer in
        try chunk.withUnsafeMutableBufferPointer { chunkBuffer in
            var stream = z_stream()
            guard dpl_inflateInit2(&stream, container.windowBits) == Z_OK else {
                throw DataError(path: path, "could not start zlib inflate (out of memory?)")
            }
            defer { inflateEnd(&stream) }
            // zlib never writes through next_in; the pointer is mutable only because zlib.h is
            // compiled without z_const.
            stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
            stream.avail_in = UInt32(inputBuffer.count)
            while true {
                stream.next_out = chunkBuffer.baseAddress
                stream.avail_out = UInt32(chunkSize)
                let status = _CZlib.inflate(&stream, Z_NO_FLUSH)
                output.append(contentsOf: chunkBuffer[0..<(chunkSize - Int(stream.avail_out))])
                let consumed = inputBuffer.count - Int(stream.avail_in)
                switch limit {
                case .unlimited: break
                case .prefix(let count):
                    if output.count >= count {
                        output.removeLast(output.count - count)
                        return
                    }
                case .atMost(let count, let reason):
                    if output.count > count {
                        throw DataError(path: path, "\(container.name) stream decompresses to more than \(count) bytes, \(reason)")
                    }
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    guard stream.avail_in > 0 else { return }
                    // Another gzip member may follow (files made by `cat a.gz b.gz`).
                    guard container == .gzip, stream.avail_in >= 2,
                          stream.next_in[0] == 0x1f, stream.next_in[1] == 0x8b else {
                        throw DataError(path: path, "has \(stream.avail_in) bytes of unexpected data after the end of the \(container.name) stream at byte \(consumed)")
                    }
                    inflateReset(&stream)
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DataError(path: path, "\(container.name) stream is truncated: it ends after \(consumed) compressed bytes without its end marker; the file is incomplete, download or copy it again")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DataError(path: path, "\(container.name) stream is corrupt near compressed byte \(consumed): \(reason)")
                }
            }
        }
    }
    return output
}

// MARK: - Deflate

/// Compresses `data` into a zlib stream (as PNG `IDAT` needs) or a gzip file.
/// - Parameter level: 0 (store) ... 9 (smallest); 6 is zlib's default balance.
/// - Throws: `DataError` when zlib fails (it only does when out of memory) or `level` is
///   outside 0...9.
public func deflateStream(_ data: [UInt8], container: DeflateContainer = .zlib, level: Int32 = 6) throws -> [UInt8] {
    guard data.count <= Int(UInt32.max) else {
        throw DataError("cannot compress \(data.count) bytes at once; streams over 4 GiB are not supported")
    }
    var output: [UInt8] = []
    let chunkSize = 1 << 16
    var chunk = [UInt8](repeating: 0, count: chunkSize)
    try data.withUnsafeBufferPointer { inputBuffer in
        try chunk.withUnsafeMutableBufferPointer { chunkBuffer in
            var stream = z_stream()
            guard dpl_deflateInit2(&stream, level, container.windowBits) == Z_OK else {
                throw DataError("could not start zlib deflate at level \(level); use a level in 0...9")
            }
            defer { deflateEnd(&stream) }
            // zlib never writes through next_in; the pointer is mutable only because zlib.h is
            // compiled without z_const.
            stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
            stream.avail_in = UInt32(inputBuffer.count)
            while true {
                stream.next_out = chunkBuffer.baseAddress
                stream.avail_out = UInt32(chunkSize)
                let status = _CZlib.deflate(&stream, Z_FINISH)
                output.append(contentsOf: chunkBuffer[0..<(chunkSize - Int(stream.avail_out))])
                if status == Z_STREAM_END { return }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    throw DataError("zlib deflate failed with status \(status)")
                }
            }
        }
    }
    return output
}

// MARK: - Checksums

/// The CRC-32 (as in PNG chunks and gzip) of `bytes`, continuing from `crc`.
func crc32Checksum<Bytes: Collection>(_ bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32 where Bytes.Element == UInt8 {
    let result = bytes.withContiguousStorageIfAvailable { buffer in
        UInt32(truncatingIfNeeded: crc32(UInt(crc), buffer.baseAddress, UInt32(buffer.count)))
    }
    if let result { return result }
    let copy = Array(bytes)
    return copy.withUnsafeBufferPointer { buffer in
        UInt32(truncatingIfNeeded: crc32(UInt(crc), buffer.baseAddress, UInt32(buffer.count)))
    }
}
