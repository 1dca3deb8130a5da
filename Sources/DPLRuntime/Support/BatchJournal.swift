import Foundation
import DPLData
import DPLLang
import DPLTensor

/// The finished batches of one long evaluation, written as it goes to
/// `<out>/.dpl-journal/<key>/batch-<i>.json`, so that the same evaluation started again after an
/// interruption (Ctrl-C, a killed process, a preempted job) resumes from its last finished batch
/// and produces the identical result (docs/analyses.md, docs/scaling.md).
///
/// The key is a digest of everything that determines the batches' results: the DPL version,
/// the stage's settings, the batch size and seed, the samples' ids and current pixels (so a
/// shard's journal is its own), and the defense's output on the first batch under a fixed call
/// index — which changes whenever a model file, a purification setting or a `seed=random`
/// invocation changes. Editing an unrelated line of the script keeps the journal; changing
/// anything the result depends on starts a fresh one. Batches are stored bit-exactly (floats
/// as their bytes), and the journal is deleted once its stage finishes.
final class BatchJournal {
    /// The journal's folder.
    let folder: String
    /// How many batches the evaluation has.
    let batchCount: Int
    /// The output folder, and whether it existed before the journal, so `remove` leaves the
    /// folder as it found it.
    private let outputFolder: String
    private let outputFolderExisted: Bool

    /// The journal for `key` under the output folder `outputFolder`.
    init(outputFolder: String, key: String, batchCount: Int) {
        folder = (outputFolder as NSString).appendingPathComponent(".dpl-journal/\(key)")
        self.batchCount = batchCount
        self.outputFolder = outputFolder
        outputFolderExisted = FileManager.default.fileExists(atPath: outputFolder)
    }

    /// How many batches, from the first, are already finished.
    var finishedBatches: Int {
        var count = 0
        while count < batchCount, FileManager.default.fileExists(atPath: path(of: count)) { count += 1 }
        return count
    }

    /// The stored record of batch `index`.
    /// - Throws: `RuntimeError` when the file is unreadable (delete the journal folder to start over).
    func read(batch index: Int) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path(of: index)),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw RuntimeError("the journal entry \(path(of: index)) is unreadable; delete \(folder) to recompute the evaluation from the start")
        }
        return object
    }

    /// Stores batch `index` atomically, so an interruption never leaves half an entry.
    func write(batch index: Int, _ object: [String: Any]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try writeAtomically(Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])), to: path(of: index))
    }

    /// Deletes the journal (its stage finished).
    func remove() {
        try? FileManager.default.removeItem(atPath: folder)
        // Leave no empty `.dpl-journal`, nor an output folder only the journal needed.
        for (emptied, created) in [((folder as NSString).deletingLastPathComponent, true), (outputFolder, !outputFolderExisted)]
        where created && (try? FileManager.default.contentsOfDirectory(atPath: emptied))?.isEmpty == true {
            try? FileManager.default.removeItem(atPath: emptied)
        }
    }

    private func path(of index: Int) -> String {
        (folder as NSString).appendingPathComponent("batch-\(index).json")
    }

    // MARK: - Keys

    /// A 64-bit FNV-1a digest, fed text and tensors, written as 16 hex digits.
    struct Digest {
        private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

        /// Adds the UTF-8 bytes of `text` and a separator.
        mutating func add(_ text: String) {
            for byte in text.utf8 { mix(byte) }
            mix(0)
        }

        /// Adds a tensor's shape and the exact bits of its values.
        mutating func add(_ tensor: Tensor) {
            add(tensor.shape.map(String.init).joined(separator: "x"))
            tensor.withUnsafeScalars { scalars in
                for scalar in scalars {
                    var bits = scalar.bitPattern
                    for _ in 0..<4 {
                        mix(UInt8(truncatingIfNeeded: bits))
                        bits >>= 8
                    }
                }
            }
        }

        private mutating func mix(_ byte: UInt8) {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }

        /// `value` as 16 hex digits.
        var hex: String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
    }

    // MARK: - Encoding tensors

    /// A tensor's values as base64 of their little-endian bytes (bit-exact).
    static func encode(_ tensor: Tensor) -> [String: Any] {
        let bytes = tensor.withUnsafeScalars { scalars in
            scalars.flatMap { scalar -> [UInt8] in
                let bits = scalar.bitPattern.littleEndian
                return [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                        UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)]
            }
        }
        return ["shape": tensor.shape, "values": Data(bytes).base64EncodedString()]
    }

    /// The tensor `encode` wrote.
    /// - Throws: `RuntimeError` for a malformed entry.
    func decode(_ object: Any?) throws -> Tensor {
        guard let fields = object as? [String: Any], let shape = fields["shape"] as? [Int],
              let text = fields["values"] as? String, let data = Data(base64Encoded: text), data.count % 4 == 0 else {
            throw RuntimeError("a journal entry in \(folder) holds a malformed tensor; delete the folder to recompute the evaluation from the start")
        }
        let bytes = [UInt8](data)
        let scalars = stride(from: 0, to: bytes.count, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
        return try Tensor(shape: shape, scalars: scalars)
    }
}
