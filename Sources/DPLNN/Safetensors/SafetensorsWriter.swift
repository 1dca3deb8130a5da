import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DPLTensor

/// Writes Float tensors as a `.safetensors` file that PyTorch's `safetensors` library reads.
///
/// The output is deterministic for the same tensors and metadata: tensors are sorted by
/// name (bytewise, as the reference implementation sorts same-dtype tensors), their data is
/// laid out in that order, `__metadata__` comes first with sorted keys, and the header is
/// padded with spaces to a multiple of 8 bytes so the data starts 8-byte aligned, as the
/// reference implementation does.
public enum SafetensorsWriter {
    /// Writes `tensors` (as F32) and `metadata` to `url` atomically: a temporary file in the
    /// same directory is written in full, then renamed over `url`, so a crash never leaves a
    /// half-written checkpoint under the final name.
    /// - Throws: `SafetensorsError` for a duplicate or reserved name, or when writing fails.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to url: URL) throws {
        let fileName = url.lastPathComponent
        let bytes = try encode(tensors, metadata: metadata, fileName: fileName)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(fileName).\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString).tmp")
        do {
            try bytes.write(to: temporary)
        } catch {
            throw SafetensorsError(file: fileName, "cannot be written (\(error.localizedDescription)); check that the directory exists and is writable")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw SafetensorsError(file: fileName, "cannot be put in place (\(reason)); check the destination path")
        }
    }

    /// The bytes of a safetensors file holding `tensors` (as F32) and `metadata`.
    /// - Throws: `SafetensorsError` for a duplicate name or the reserved name `__metadata__`.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
                              fileName: String = "safetensors") throws -> Data {
        var seen = Set<String>()
        for (name, _) in tensors {
            guard name != "__metadata__" else {
                throw SafetensorsError(file: fileName, tensor: name, "uses the name reserved for metadata; rename the tensor")
            }
            guard seen.insert(name).inserted else {
                throw SafetensorsError(file: fileName, tensor: name, "is given more than once; tensor names must be unique")
            }
        }
        let sorted = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }

        var fields: [String] = []
        if !metadata.isEmpty {
            let entries = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            fields.append("\"__metadata__\":{\(entries.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in sorted {
            let end = offset + 4 * tensor.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)

        var bytes = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for (_, tensor) in sorted {
            let littleEndian = tensor.scalars.map { $0.bitPattern.littleEndian }
            littleEndian.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
