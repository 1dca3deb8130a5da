import Foundation
@testable import DPLNN

/// The checkpoints written by Tests/Fixtures/make_pytorch_fixtures.py.
enum PyTorchFixtures {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pytorch")

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    static func checkpoint(_ name: String) throws -> TorchCheckpoint { try TorchCheckpoint(contentsOf: url(name)) }

    /// The error message of reading `bytes` as a checkpoint, or nil if it was read.
    static func readError(_ bytes: Data, name: String = "bad.pt") -> String? {
        do {
            _ = try TorchCheckpoint(data: bytes, fileName: name)
            return nil
        } catch {
            return "\(error)"
        }
    }
}

/// Pickle bytes written opcode by opcode, for inputs torch.save would never produce.
struct PickleBytes {
    var bytes: [UInt8] = [0x80, 2]   // PROTO 2

    mutating func op(_ code: UInt8, _ operands: [UInt8] = []) { bytes += [code] + operands }
    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        op(0x58, withUnsafeBytes(of: UInt32(utf8.count).littleEndian, Array.init) + utf8)   // BINUNICODE
    }
    mutating func global(_ module: String, _ name: String) { op(0x63, Array("\(module)\n\(name)\n".utf8)) }
    mutating func int(_ value: UInt8) { op(0x4B, [value]) }                                  // BININT1
    mutating func stop() { op(0x2E) }

    var data: Data { Data(bytes) }
}
