import Foundation
import Testing
@testable import DPLRuntime

/// SHA-256 against the FIPS 180-4 / NIST example messages, fed whole and in odd pieces.
@Suite("SHA-256")
struct SHA256Tests {
    static let vectors: [(message: String, digest: String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test func nistExampleMessages() {
        for (message, digest) in Self.vectors { #expect(SHA256.hex(message) == digest, "\"\(message)\"") }
    }

    @Test func oneMillionTimesA() {
        #expect(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func piecesGiveTheSameDigestAsTheWhole() {
        let message = Array(Self.vectors[3].message.utf8) + Array(repeating: 7, count: 300)
        for pieceSize in [1, 3, 63, 64, 65, 200] {
            var hasher = SHA256()
            for start in stride(from: 0, to: message.count, by: pieceSize) {
                hasher.update(Array(message[start..<min(message.count, start + pieceSize)]))
            }
            #expect(SHA256.hexString(hasher.finalize()) == SHA256.hex(message), "pieces of \(pieceSize) bytes")
        }
    }

    @Test func fileDigestEqualsTheBytesDigestAndIsCached() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-sha-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = (0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let fingerprint = try FileFingerprint.of(path: path)
        #expect(fingerprint.sha256 == SHA256.hex(bytes), "streamed in 1 MiB chunks across a chunk boundary")
        #expect(fingerprint.size == bytes.count)
        #expect(try FileFingerprint.of(path: path) == fingerprint)
    }
}
