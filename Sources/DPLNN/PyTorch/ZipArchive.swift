import Foundation

/// The entries of a zip archive, read from its central directory — the container of
/// `torch.save` files since PyTorch 1.6 (`<name>/data.pkl`, `<name>/data/<key>`, …).
///
/// Only what PyTorch writes is supported: entries *stored* uncompressed (PyTorch never
/// compresses, so tensors can be memory-mapped), in one archive on one disk, with zip64
/// records where sizes or offsets exceed 32 bits. Every size and offset is checked against the
/// file before it is used.
struct ZipArchive {
    /// One stored entry: where its bytes lie in the file.
    struct Entry {
        let name: String
        /// The entry's data bytes in the archive.
        let range: Range<Int>
    }

    /// The entries in central-directory order.
    let entries: [Entry]
    private let index: [String: Int]

    /// Whether `data` starts like a zip archive (a local file header).
    static func looksLikeZip(_ data: Data) -> Bool {
        data.uint32(at: 0) == 0x0403_4b50
    }

    /// Parses the central directory of `data` (rebased to start at index 0).
    /// - Throws: `PyTorchError` naming `file` and the record at fault: no end-of-central-directory
    ///   record, a directory outside the file, a compressed or encrypted entry, or an entry whose
    ///   data runs past the end of the file.
    init(data: Data, file: String) throws {
        func fail(_ message: String) -> PyTorchError { PyTorchError(file: file, message) }
        let truncated = "the file is truncated or not a zip archive; save it again with torch.save"

        // The end-of-central-directory record is the last 22 bytes plus a comment of up to 65,535.
        let minimumEOCD = 22
        guard data.count >= minimumEOCD else { throw fail("is \(data.count) bytes long, too short for a zip archive; \(truncated)") }
        var eocd: Int?
        var candidate = data.count - minimumEOCD
        let lowest = max(0, data.count - minimumEOCD - 65_535)
        while candidate >= lowest {
            if data.uint32(at: candidate) == 0x0605_4b50 { eocd = candidate; break }
            candidate -= 1
        }
        guard let eocd else { throw fail("has no zip end-of-central-directory record; \(truncated)") }
        guard var entryCount = data.uint16(at: eocd + 10), var directorySize = data.uint32(at: eocd + 12),
              var directoryOffset = data.uint32(at: eocd + 16) else {
            throw fail("has a truncated end-of-central-directory record at byte \(eocd); \(truncated)")
        }
        // zip64: the locator sits right before the classic record and points at the zip64 record.
        if eocd >= 20, data.uint32(at: eocd - 20) == 0x0706_4b50 {
            guard let zip64 = data.uint64(at: eocd - 12), data.uint32(at: zip64) == 0x0606_4b50,
                  let count64 = data.uint64(at: zip64 + 32), let size64 = data.uint64(at: zip64 + 40),
                  let offset64 = data.uint64(at: zip64 + 48) else {
                throw fail("has a zip64 locator at byte \(eocd - 20) that points to no zip64 end-of-central-directory record; \(truncated)")
            }
            (entryCount, directorySize, directoryOffset) = (count64, size64, offset64)
        }
        guard directoryOffset <= data.count, directorySize <= data.count - directoryOffset else {
            throw fail("declares a central directory of \(directorySize) bytes at byte \(directoryOffset), outside the file of \(data.count) bytes; \(truncated)")
        }
        // Each central-directory header is at least 46 bytes, which bounds the count before any allocation.
        guard entryCount <= directorySize / 46 else {
            throw fail("declares \(entryCount) entries in a central directory of only \(directorySize) bytes; \(truncated)")
        }

        var entries: [Entry] = []
        entries.reserveCapacity(entryCount)
        var index: [String: Int] = [:]
        var position = directoryOffset
        for number in 0..<entryCount {
            guard data.uint32(at: position) == 0x0201_4b50,
                  let flags = data.uint16(at: position + 8), let method = data.uint16(at: position + 10),
                  var compressedSize = data.uint32(at: position + 20), var size = data.uint32(at: position + 24),
                  let nameLength = data.uint16(at: position + 28), let extraLength = data.uint16(at: position + 30),
                  let commentLength = data.uint16(at: position + 32), var localOffset = data.uint32(at: position + 42),
                  let nameBytes = data.bytes(at: position + 46, length: nameLength),
                  let extra = data.bytes(at: position + 46 + nameLength, length: extraLength) else {
                throw fail("has a malformed central-directory header for entry \(number) at byte \(position); \(truncated)")
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            // zip64 extended information: the 64-bit values of the fields saturated at 0xFFFFFFFF, in this order.
            var cursor = 0
            while cursor + 4 <= extra.count {
                guard let id = extra.uint16(at: cursor), let length = extra.uint16(at: cursor + 2) else { break }
                if id == 0x0001 {
                    var field = cursor + 4
                    for slot in 0..<3 {
                        let saturated = slot == 0 ? size == 0xFFFF_FFFF : slot == 1 ? compressedSize == 0xFFFF_FFFF : localOffset == 0xFFFF_FFFF
                        guard saturated else { continue }
                        guard field + 8 <= cursor + 4 + length, let value = extra.uint64(at: field) else {
                            throw fail("has a short zip64 extra field in entry `\(name)`; \(truncated)")
                        }
                        if slot == 0 { size = value } else if slot == 1 { compressedSize = value } else { localOffset = value }
                        field += 8
                    }
                }
                cursor += 4 + length
            }
            guard flags & 1 == 0 else {
                throw fail("has an encrypted zip entry `\(name)`; DPL reads only the unencrypted archives torch.save writes")
            }
            guard method == 0 else {
                let how = method == 8 ? "deflate-compressed" : "compressed (method \(method))"
                throw fail("has a \(how) zip entry `\(name)`; torch.save stores entries uncompressed, so the archive was rezipped: unzip it and save it again with torch.save, or rezip it with `zip -0`")
            }
            guard compressedSize == size else {
                throw fail("has a stored zip entry `\(name)` whose compressed size \(compressedSize) differs from its size \(size); \(truncated)")
            }
            guard data.uint32(at: localOffset) == 0x0403_4b50,
                  let localName = data.uint16(at: localOffset + 26), let localExtra = data.uint16(at: localOffset + 28) else {
                throw fail("has no local header for zip entry `\(name)` at byte \(localOffset); \(truncated)")
            }
            let start = localOffset + 30 + localName + localExtra
            guard start <= data.count, size <= data.count - start else {
                throw fail("has zip entry `\(name)` of \(size) bytes at byte \(start), past the end of the file (\(data.count) bytes); \(truncated)")
            }
            index[name] = entries.count
            entries.append(Entry(name: name, range: start..<(start + size)))
            position += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
        self.index = index
    }

    /// The entry called `name`, if the archive has one.
    func entry(named name: String) -> Entry? {
        index[name].map { entries[$0] }
    }
}
