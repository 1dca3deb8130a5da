import Foundation
import DPLTensor

/// A file written by `torch.save` (`.pt`, `.pth`, `.bin`), read natively: the object it holds,
/// as a `PickleValue` whose tensors are references into the file's storages, converted to
/// Float on request. No Python is involved and nothing in the file is executed
/// (see `Unpickler` for what is allowed).
///
/// Two layouts are read:
/// - the zip format (PyTorch ≥ 1.6): a zip archive whose `<name>/data.pkl` is the pickle and
///   whose `<name>/data/<key>` entries are the raw storages, little-endian;
/// - the legacy format (`_use_new_zipfile_serialization=False`): five consecutive parts — a
///   pickled magic number, the protocol version (1001), a `sys_info` dict, the main pickle, a
///   pickled list of storage keys — then, for each key in that order, an 8-byte little-endian
///   element count and the storage's bytes.
public struct TorchCheckpoint {
    /// The name used in error messages (the file's last path component).
    public let fileName: String
    /// The object `torch.save` was given: usually a state_dict or a dict around one.
    public let root: PickleValue

    /// Where each storage's bytes lie in the file, and how many elements it holds.
    private let storages: [String: (start: Int, count: Int)]
    private let bytes: Data

    /// The legacy format's magic number, 0x1950a86a20f9469cfc6c, as pickled (little-endian).
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    // MARK: - Opening

    /// Opens and parses the checkpoint at `url` (memory-mapped).
    /// - Throws: `PyTorchError` when it cannot be read, is neither format, or is malformed.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw PyTorchError(file: url.lastPathComponent, "cannot be read (\(error.localizedDescription)); check the path")
        }
        try self.init(data: data, fileName: url.lastPathComponent)
    }

    /// Parses a checkpoint already in memory; `fileName` is for messages.
    /// - Throws: `PyTorchError` naming the file and the part at fault.
    public init(data: Data, fileName: String) throws {
        let bytes = data.startIndex == 0 ? data : Data(data)
        self.fileName = fileName
        self.bytes = bytes
        if ZipArchive.looksLikeZip(bytes) {
            (root, storages) = try Self.readZip(bytes, file: fileName)
        } else if bytes.first == 0x80 {
            (root, storages) = try Self.readLegacy(bytes, file: fileName)
        } else {
            throw PyTorchError(file: fileName, "is neither a zip archive nor a pickle, so not a file written by torch.save; .pt/.pth/.bin checkpoints start with `PK` (zip) or byte 0x80 (legacy). Safetensors files end in .safetensors")
        }
    }

    // MARK: - The zip format

    private static func readZip(_ data: Data, file: String) throws -> (PickleValue, [String: (start: Int, count: Int)]) {
        let archive = try ZipArchive(data: data, file: file)
        // The archive's folder is named after the file it was first saved as (`archive/` in older
        // versions), so the pickle is found by its suffix.
        let pickles = archive.entries.filter { $0.name.hasSuffix("/data.pkl") && !$0.name.dropLast("/data.pkl".count).contains("/") }
        guard pickles.count == 1, let pickle = pickles.first else {
            let names = archive.entries.prefix(8).map { "`\($0.name)`" }.joined(separator: ", ")
            throw PyTorchError(file: file, pickles.isEmpty
                ? "is a zip archive without a `<name>/data.pkl` entry (it has \(names)), so not a checkpoint written by torch.save"
                : "is a zip archive with \(pickles.count) `data.pkl` entries; torch.save writes one")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        if let order = archive.entry(named: prefix + "byteorder"),
           let text = data.bytes(at: order.range.lowerBound, length: order.range.count).map({ String(decoding: $0, as: UTF8.self) }),
           text != "little" {
            throw PyTorchError(file: file, "stores its tensors in `\(text)` byte order (entry `\(prefix)byteorder`); DPL reads little-endian checkpoints: save it again on a little-endian machine")
        }
        var storages: [String: (start: Int, count: Int)] = [:]
        // The pickle is read from a copy of its entry alone, so it cannot run into the storages
        // and its byte offsets are those `pickletools.dis` shows for data.pkl.
        let pickleBytes = data.bytes(at: pickle.range.lowerBound, length: pickle.range.count) ?? Data()
        var loader = Unpickler(data: pickleBytes, file: file, context: "`\(pickle.name)`") { pid, offset in
            let reference = try storageReference(pid, file: file, at: offset, context: "`\(pickle.name)`", legacy: false)
            let entryName = prefix + "data/" + reference.key
            guard let entry = archive.entry(named: entryName) else {
                throw PyTorchError(file: file, "`\(pickle.name)` references storage `\(reference.key)`, but the archive has no entry `\(entryName)` (byte \(offset)); the file is truncated or corrupt")
            }
            let available = entry.range.count / reference.type.elementSize
            if let declared = reference.declaredCount, declared > available {
                throw PyTorchError(file: file, "`\(pickle.name)` declares \(declared) elements of \(reference.type.rawValue) in storage `\(reference.key)`, but entry `\(entryName)` holds \(entry.range.count) bytes (\(available) elements) (byte \(offset)); the file is truncated or corrupt")
            }
            storages[reference.key] = (entry.range.lowerBound, available)
            return .storage(reference)
        }
        return (try loader.load(), storages)
    }

    // MARK: - The legacy format

    private static func readLegacy(_ data: Data, file: String) throws -> (PickleValue, [String: (start: Int, count: Int)]) {
        func noPersistentIDs(_ context: String) -> Unpickler.PersistentLoader {
            { _, offset in throw PyTorchError(file: file, "the legacy \(context) pickle references a storage (byte \(offset)); only the main pickle may") }
        }
        var magic = Unpickler(data: data, file: file, context: "the legacy magic-number pickle", persistentLoad: noPersistentIDs("magic-number"))
        guard case .largeInt(let number) = try magic.load(), number == legacyMagic else {
            throw PyTorchError(file: file, "starts with a pickle but not with torch.save's legacy magic number; it is a plain pickle, not a checkpoint (DPL does not read arbitrary pickles)")
        }
        var protocolPickle = Unpickler(data: data, offset: magic.endOffset, file: file, context: "the legacy protocol-version pickle",
                                       persistentLoad: noPersistentIDs("protocol-version"))
        let version = try protocolPickle.load()
        guard version.intValue == 1001 else {
            throw PyTorchError(file: file, "has legacy protocol version \(version.intValue.map(String.init) ?? version.kindName); DPL reads version 1001, the only one torch.save writes")
        }
        var sysInfo = Unpickler(data: data, offset: protocolPickle.endOffset, file: file, context: "the legacy sys_info pickle",
                                persistentLoad: noPersistentIDs("sys_info"))
        if case .dict(let info) = try sysInfo.load(), case .bool(false)? = info["little_endian"] {
            throw PyTorchError(file: file, "was saved on a big-endian machine (sys_info little_endian is False); DPL reads little-endian checkpoints: save it again on a little-endian machine")
        }
        var declared: [String: TorchStorageReference] = [:]
        var main = Unpickler(data: data, offset: sysInfo.endOffset, file: file, context: "the legacy main pickle") { pid, offset in
            let reference = try storageReference(pid, file: file, at: offset, context: "the legacy main pickle", legacy: true)
            if let earlier = declared[reference.key], earlier != reference {
                throw PyTorchError(file: file, "the legacy main pickle declares storage `\(reference.key)` twice, as \(earlier.type.rawValue) × \(earlier.declaredCount ?? 0) and \(reference.type.rawValue) × \(reference.declaredCount ?? 0) (byte \(offset)); the file is corrupt")
            }
            declared[reference.key] = reference
            return .storage(reference)
        }
        let root = try main.load()
        var keysPickle = Unpickler(data: data, offset: main.endOffset, file: file, context: "the legacy storage-key pickle",
                                  persistentLoad: noPersistentIDs("storage-key"))
        guard let keyValues = try keysPickle.load().elements else {
            throw PyTorchError(file: file, "has a legacy storage-key pickle that is not a list; the file is corrupt")
        }
        var storages: [String: (start: Int, count: Int)] = [:]
        var position = keysPickle.endOffset
        for keyValue in keyValues {
            guard let key = keyValue.stringValue else {
                throw PyTorchError(file: file, "has a \(keyValue.kindName) in its legacy storage-key list; keys are strings; the file is corrupt")
            }
            guard let reference = declared[key] else {
                throw PyTorchError(file: file, "lists storage `\(key)` in its legacy key list, but no tensor references it; the file is corrupt")
            }
            guard let count = data.uint64(at: position) else {
                throw PyTorchError(file: file, "ends where the element count of legacy storage `\(key)` belongs (byte \(position)); the file is truncated: save it again with torch.save")
            }
            let start = position + 8
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: reference.type.elementSize)
            guard !overflow, start <= data.count, byteCount <= data.count - start else {
                throw PyTorchError(file: file, "declares \(count) elements of \(reference.type.rawValue) for legacy storage `\(key)` at byte \(position), more than the \(max(0, data.count - start)) bytes left; the file is truncated: save it again with torch.save")
            }
            if let expected = reference.declaredCount, expected != count {
                throw PyTorchError(file: file, "has \(count) elements in legacy storage `\(key)` (byte \(position)) but its pickle declared \(expected); the file is corrupt")
            }
            storages[key] = (start, count)
            position = start + byteCount
        }
        return (root, storages)
    }

    /// The storage a persistent id names:
    /// `('storage', <torch.XStorage>, key, location, numel)` in the zip format and
    /// `('storage', <torch.XStorage>, key, location, numel, view_metadata)` in the legacy one.
    private static func storageReference(_ pid: PickleValue, file: String, at offset: Int, context: String,
                                         legacy: Bool) throws -> TorchStorageReference {
        func fail(_ message: String) -> PyTorchError { PyTorchError(file: file, "\(context) \(message) (byte \(offset))") }
        guard let parts = pid.elements, parts.count >= 4, parts[0].stringValue == "storage" else {
            throw fail("has a persistent id that is not a ('storage', type, key, location, size) tuple; torch.save writes only storages as persistent ids")
        }
        guard case .global(.storageType(let type)) = parts[1] else {
            throw fail("has a storage whose type is a \(parts[1].kindName), not one of \(TorchStorageType.allCases.map { "torch.\($0.rawValue)" }.joined(separator: ", "))")
        }
        guard let key = parts[2].stringValue, !key.isEmpty, !key.contains("/"), !key.contains("..") else {
            throw fail("has a storage key that is not a plain name")
        }
        var declared: Int?
        if parts.count >= 5 {
            guard let count = parts[4].intValue, count >= 0 else { throw fail("declares storage `\(key)` with a size that is not a non-negative integer") }
            declared = count
        }
        // Legacy ids end with view metadata, None unless the storage was saved as a view of
        // another (PyTorch < 0.4), which DPL does not read.
        if legacy, parts.count >= 6 {
            guard case .none = parts[5] else {
                throw fail("has storage `\(key)` saved as a view of another storage (PyTorch < 0.4); load it in PyTorch and save it again")
            }
        }
        return TorchStorageReference(key: key, type: type, declaredCount: declared)
    }

    // MARK: - Reading tensors

    /// The values of `reference` as a Float tensor of its shape, in row-major order whatever
    /// its strides (a transposed or sliced view is gathered).
    /// - Throws: `PyTorchError` when its storage is missing or too small for the view; `name`
    ///   (the state_dict entry) is for the message.
    public func tensor(_ reference: TorchTensorReference, name: String) throws -> Tensor {
        let storage = reference.storage
        guard let location = storages[storage.key] else {
            throw PyTorchError(file: fileName, "has no data for storage `\(storage.key)` of tensor `\(name)`; the file is truncated or corrupt")
        }
        guard let count = reference.elementCount, let extent = reference.storageExtent, extent <= location.count else {
            throw PyTorchError(file: fileName, "has tensor `\(name)` viewing storage `\(storage.key)` at offset \(reference.storageOffset) with size \(reference.shape) and stride \(reference.strides), past the storage's \(location.count) elements; the file is corrupt")
        }
        // A view with a stride of 0 (from `expand`) repeats elements, so its element count is not
        // bounded by the file; allow small ones and refuse a file that would allocate far more
        // than it holds.
        guard count <= max(location.count, 1 << 20) else {
            throw PyTorchError(file: fileName, "has tensor `\(name)` of \(count) elements (size \(reference.shape), stride \(reference.strides)) viewing only \(location.count) stored elements; it repeats elements (a stride of 0 from expand()): save it with .contiguous()")
        }
        let type = storage.type
        let size = type.elementSize
        let start = location.start
        let shape = reference.shape
        let strides = reference.strides
        return bytes.withUnsafeBytes { raw -> Tensor in
            @inline(__always) func element(_ index: Int) -> Float {
                let at = start + index * size
                switch type {
                case .float: return Float(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
                case .half: return floatFromHalfBits(raw.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian)
                case .bfloat16: return floatFromBFloat16Bits(raw.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian)
                case .double: return Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian))
                case .long: return Float(Int64(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian))
                case .int: return Float(Int32(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian))
                case .short: return Float(Int16(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian))
                case .char: return Float(Int8(bitPattern: raw[at]))
                case .byte, .bool: return Float(raw[at])
                }
            }
            return Tensor.uninitialized(shape: shape) { out in
                guard count > 0 else { return }
                // Walk the view in row-major order with an odometer over its indices; the
                // innermost axis is a strided run.
                let rank = shape.count
                guard rank > 0 else { out[0] = element(reference.storageOffset); return }
                let inner = shape[rank - 1], innerStride = strides[rank - 1]
                var index = [Int](repeating: 0, count: rank)
                var base = reference.storageOffset
                var written = 0
                while written < count {
                    for i in 0..<inner { out[written + i] = element(base + i * innerStride) }
                    written += inner
                    var axis = rank - 2
                    while axis >= 0 {
                        index[axis] += 1
                        base += strides[axis]
                        if index[axis] < shape[axis] { break }
                        base -= strides[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                    if axis < 0 { break }
                }
            }
        }
    }
}
