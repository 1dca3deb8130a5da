import Foundation
import Testing
import DPLTensor
@testable import DPLNN

/// Reading `torch.save` files natively: both layouts, every element type, strided views and
/// shared storages against the values PyTorch wrote, and refusals of malicious, truncated and
/// lying files.
@Suite("PyTorch checkpoints")
struct TorchCheckpointTests {
    /// The tensors of a checkpoint's root state_dict, read as Float.
    func tensors(_ checkpoint: TorchCheckpoint) throws -> [String: Tensor] {
        guard case .dict(let dict) = checkpoint.root else { throw PyTorchError(file: "test", "root is not a dict") }
        var result: [String: Tensor] = [:]
        for (key, value) in dict.entries {
            guard let name = key.stringValue, case .tensor(let reference) = value else { continue }
            result[name] = try checkpoint.tensor(reference, name: name)
        }
        return result
    }

    @Test(arguments: ["tensors.pt", "tensors_legacy.pt"])
    func readsEveryElementTypeAndView(file: String) throws {
        let expected = try SafetensorsFile(contentsOf: PyTorchFixtures.url("tensors_expected.safetensors"))
        let got = try tensors(try PyTorchFixtures.checkpoint(file))
        #expect(Set(got.keys) == Set(expected.names))
        for name in expected.names {
            let want = try expected.tensor(named: name)
            #expect(got[name]?.shape == want.shape, "\(name)")
            // PyTorch's own conversion to float32 is exact for every type here, so equality is exact.
            #expect(got[name]?.scalars == want.scalars, "\(name)")
        }
        #expect(got["transposed"]?.shape == [4, 3])
        #expect(got["sliced"]?.shape == [2, 2])
        #expect(got["scalar"]?.shape == [])
        #expect(got["empty"]?.shape == [0, 3])
    }

    @Test func viewsShareOneStorage() throws {
        let checkpoint = try PyTorchFixtures.checkpoint("tensors.pt")
        guard case .dict(let dict) = checkpoint.root, case .tensor(let w)? = dict["f32"],
              case .tensor(let t)? = dict["transposed"], case .tensor(let s)? = dict["sliced"] else {
            Issue.record("missing entries"); return
        }
        #expect(w.storage.key == t.storage.key && w.storage.key == s.storage.key)
        #expect(t.strides == [1, 4])
        #expect(s.storageOffset == 5 && s.strides == [4, 1])
    }

    @Test func legacyAndZipFormatsAgree() throws {
        let zip = try tensors(try PyTorchFixtures.checkpoint("tensors.pt"))
        let legacy = try tensors(try PyTorchFixtures.checkpoint("tensors_legacy.pt"))
        #expect(zip.mapValues(\.scalars) == legacy.mapValues(\.scalars))
    }

    // MARK: - Refusals

    @Test func refusesOsSystemInAZipCheckpoint() throws {
        let message = PyTorchFixtures.readError(try PyTorchFixtures.data("malicious_os_system.pt"), name: "malicious_os_system.pt")
        #expect(message?.hasPrefix("malicious_os_system.pt: `malicious/data.pkl` references the global `posix.system` (opcode GLOBAL)") == true, "\(message ?? "read")")
        #expect(message?.contains("executes nothing") == true)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/dpl-pwned"))
    }

    @Test func refusesEvalInALegacyCheckpoint() throws {
        let message = PyTorchFixtures.readError(try PyTorchFixtures.data("malicious_eval_legacy.pt"), name: "evil.pt")
        #expect(message?.contains("the legacy main pickle references the global `__builtin__.eval`") == true, "\(message ?? "read")")
    }

    @Test func refusesAWholeModule() throws {
        let message = PyTorchFixtures.readError(try PyTorchFixtures.data("whole_module.pt"), name: "whole_module.pt")
        #expect(message?.contains("references the global `torch.nn.modules.linear.Linear`") == true, "\(message ?? "read")")
        #expect(message?.contains("save the state_dict alone (torch.save(model.state_dict(), path)") == true)
    }

    @Test func refusesAPlainPickle() {
        var p = PickleBytes()
        p.op(0x7D); p.stop()
        #expect(PyTorchFixtures.readError(p.data)?.contains("not with torch.save's legacy magic number") == true)
    }

    @Test func refusesOtherFiles() throws {
        #expect(PyTorchFixtures.readError(Data("hello".utf8))?.contains("neither a zip archive nor a pickle") == true)
        let safetensors = try PyTorchFixtures.data("tensors_expected.safetensors")
        #expect(PyTorchFixtures.readError(safetensors)?.contains("Safetensors files end in .safetensors") == true)
    }

    /// Every prefix of a real checkpoint is refused with a message, never a crash.
    @Test(arguments: ["tensors.pt", "tensors_legacy.pt"])
    func refusesEveryTruncation(file: String) throws {
        let bytes = try PyTorchFixtures.data(file)
        for length in stride(from: 0, to: bytes.count, by: 7) {
            let message = PyTorchFixtures.readError(bytes.prefix(length))
            #expect(message != nil, "a \(length)-byte prefix of \(file) was read")
        }
        #expect(PyTorchFixtures.readError(bytes.prefix(bytes.count - 1)) != nil)
    }

    /// Every single-byte corruption of a real checkpoint is read or refused, never a crash or a
    /// runaway allocation, including when its tensors are then read.
    @Test(arguments: ["tensors.pt", "tensors_legacy.pt"])
    func survivesEveryByteCorruption(file: String) throws {
        let original = [UInt8](try PyTorchFixtures.data(file))
        var refused = 0
        for offset in original.indices {
            for replacement: UInt8 in [original[offset] ^ 0x80, 0xFF] {
                var bytes = original
                bytes[offset] = replacement
                do {
                    let checkpoint = try TorchCheckpoint(data: Data(bytes), fileName: file)
                    _ = try? tensors(checkpoint)
                } catch {
                    refused += 1
                }
            }
        }
        #expect(refused > 0)
    }

    @Test func refusesACompressedEntry() throws {
        var bytes = [UInt8](try PyTorchFixtures.data("tensors.pt"))
        // Mark the first central-directory entry as deflated (method 8).
        guard let directory = (0..<(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)] == [0x50, 0x4B, 0x01, 0x02] }) else {
            Issue.record("no central directory"); return
        }
        bytes[directory + 10] = 8
        let message = PyTorchFixtures.readError(Data(bytes))
        #expect(message?.contains("deflate-compressed zip entry") == true, "\(message ?? "read")")
        #expect(message?.contains("zip -0") == true)
    }

    @Test func refusesAStorageLargerThanItsEntry() throws {
        // A zip whose pickle declares a 10⁹-element storage: refused from the entry's size, before reading.
        var p = PickleBytes()
        p.op(0x7D); p.string("w")
        p.global("torch._utils", "_rebuild_tensor_v2")
        p.op(0x28)
        p.op(0x28); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu")
        p.op(0x4A, withUnsafeBytes(of: Int32(1_000_000_000).littleEndian, Array.init)); p.op(0x74)
        p.op(0x51)                                            // BINPERSID
        p.int(0); p.op(0x4A, withUnsafeBytes(of: Int32(1_000_000_000).littleEndian, Array.init)); p.op(0x85)
        p.int(1); p.op(0x85); p.op(0x89); p.op(0x4E); p.op(0x74); p.op(0x52)
        p.op(0x73); p.stop()
        let zip = try makeZip(["huge/data.pkl": p.data, "huge/data/0": Data(count: 16)])
        let message = PyTorchFixtures.readError(zip)
        #expect(message?.contains("declares 1000000000 elements of FloatStorage in storage `0`, but entry `huge/data/0` holds 16 bytes") == true, "\(message ?? "read")")
    }

    @Test func refusesAViewPastItsStorage() throws {
        var p = PickleBytes()
        p.op(0x7D); p.string("w")
        p.global("torch._utils", "_rebuild_tensor_v2")
        p.op(0x28)
        p.op(0x28); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(4); p.op(0x74)
        p.op(0x51)
        p.int(2); p.int(3); p.op(0x85); p.int(1); p.op(0x85); p.op(0x89); p.op(0x4E); p.op(0x74); p.op(0x52)
        p.op(0x73); p.stop()
        let message = PyTorchFixtures.readError(try makeZip(["v/data.pkl": p.data, "v/data/0": Data(count: 16)]))
        #expect(message?.contains("reaching element 4 of storage `0`, which holds 4") == true, "\(message ?? "read")")
    }

    @Test func refusesAHugeZeroStrideView() throws {
        // 2³⁰ elements viewing one stored float: refused when read, before allocating 4 GB.
        var p = PickleBytes()
        p.op(0x7D); p.string("w")
        p.global("torch._utils", "_rebuild_tensor_v2")
        p.op(0x28)
        p.op(0x28); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(1); p.op(0x74)
        p.op(0x51)
        p.int(0); p.op(0x4A, [0, 0, 0, 0x40]); p.op(0x85); p.int(0); p.op(0x85); p.op(0x89); p.op(0x4E); p.op(0x74); p.op(0x52)
        p.op(0x73); p.stop()
        let checkpoint = try TorchCheckpoint(data: try makeZip(["z/data.pkl": p.data, "z/data/0": Data(count: 4)]), fileName: "z.pt")
        guard case .dict(let dict) = checkpoint.root, case .tensor(let w)? = dict["w"] else { Issue.record("no tensor"); return }
        let error = #expect(throws: PyTorchError.self) { try checkpoint.tensor(w, name: "w") }
        #expect(error?.description.contains("has tensor `w` of 1073741824 elements (size [1073741824], stride [0]) viewing only 1 stored elements") == true)
    }

    @Test func refusesALegacyStorageCountPastTheEnd() throws {
        var bytes = [UInt8](try PyTorchFixtures.data("tensors_legacy.pt"))
        // Skip the five pickles (magic, version, sys_info, main, keys) to the first storage's count.
        var offset = 0
        for _ in 0..<5 {
            var unpickler = Unpickler(data: Data(bytes), offset: offset, file: "t", context: "test") { _, _ in
                .storage(TorchStorageReference(key: "x", type: .float, declaredCount: nil))
            }
            _ = try unpickler.load()
            offset = unpickler.endOffset
        }
        for i in 0..<8 { bytes[offset + i] = i == 7 ? 0x0F : 0xFF }   // about 1.1e18 elements
        let message = PyTorchFixtures.readError(Data(bytes))
        #expect(message?.contains("bytes left; the file is truncated") == true, "\(message ?? "read")")
    }

    /// Sizes and offsets past 4 GB live in a zip64 extra field of the central directory, with the
    /// 32-bit fields saturated; a small archive written that way reads the same.
    @Test func readsZip64ExtraFields() throws {
        var p = PickleBytes()
        p.op(0x7D); p.string("w")
        p.global("torch._utils", "_rebuild_tensor_v2")
        p.op(0x28)
        p.op(0x28); p.string("storage"); p.global("torch", "FloatStorage"); p.string("0"); p.string("cpu"); p.int(2); p.op(0x74)
        p.op(0x51)
        p.int(0); p.int(2); p.op(0x85); p.int(1); p.op(0x85); p.op(0x89); p.op(0x4E); p.op(0x74); p.op(0x52)
        p.op(0x73); p.stop()
        let values: [Float] = [1.5, -2.25]
        let storage = values.withUnsafeBytes { Data($0) }
        let zip = try makeZip(["z/data.pkl": p.data, "z/data/0": storage], zip64: true)
        let checkpoint = try TorchCheckpoint(data: zip, fileName: "z64.pt")
        #expect(try tensors(checkpoint)["w"]?.scalars == values)
        // A zip64 field cut short is refused, not read past.
        var short = [UInt8](zip)
        guard let extra = (0..<(short.count - 4)).first(where: { short[$0..<($0 + 4)] == [0x01, 0x00, 24, 0x00] }) else {
            Issue.record("no zip64 extra field"); return
        }
        short[extra + 2] = 8
        #expect(PyTorchFixtures.readError(Data(short))?.contains("short zip64 extra field") == true)
    }

    /// A stored (uncompressed) zip of `entries`, as Python's zipfile or torch.save writes it;
    /// with `zip64`, each central-directory entry saturates its sizes and offset and gives them
    /// in a zip64 extra field.
    func makeZip(_ entries: [String: Data], zip64: Bool = false) throws -> Data {
        var out = Data()
        var directory = Data()
        func le<T: FixedWidthInteger>(_ value: T) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
        for (name, body) in entries.sorted(by: { $0.key < $1.key }) {
            let offset = UInt32(out.count)
            let nameBytes = Data(name.utf8)
            out += le(UInt32(0x0403_4b50)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0)) + le(UInt32(0))
            out += le(UInt32(body.count)) + le(UInt32(body.count)) + le(UInt16(nameBytes.count)) + le(UInt16(0)) + nameBytes + body
            directory += le(UInt32(0x0201_4b50)) + le(UInt16(20)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0))
            let saturated = UInt32(0xFFFF_FFFF)
            let extra = zip64 ? le(UInt16(1)) + le(UInt16(24)) + le(UInt64(body.count)) + le(UInt64(body.count)) + le(UInt64(offset)) : Data()
            directory += le(UInt32(0)) + le(zip64 ? saturated : UInt32(body.count)) + le(zip64 ? saturated : UInt32(body.count))
            directory += le(UInt16(nameBytes.count)) + le(UInt16(extra.count)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0))
            directory += le(UInt32(0)) + le(zip64 ? saturated : offset) + nameBytes + extra
        }
        let directoryOffset = UInt32(out.count)
        out += directory
        out += le(UInt32(0x0605_4b50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(entries.count)) + le(UInt16(entries.count))
        out += le(UInt32(directory.count)) + le(directoryOffset) + le(UInt16(0))
        return out
    }
}
