import Foundation
import DPLTensor

// MARK: - Journal of a long evaluation

/// The finished batches of one long robustness evaluation, written as it goes to
/// `<folder>/batch-<i>.json`, so that the same evaluation started again after an interruption
/// (Ctrl-C, a killed process, a preempted job) resumes from its last finished batch and
/// produces the identical result (docs/analyses.md, docs/scaling.md).
///
/// The key (`RobustnessEvaluation.journalKey`) is a digest of everything that determines the
/// batches' results, so a journal is only ever read by the evaluation that wrote it. Entries
/// are still untrusted when read (a journal can be shipped inside someone else's artifact):
/// every entry is checked against the batch it claims to be — its sample ids, labels, row
/// count and tensor shapes — and a mismatch is an error that says to delete the folder, never
/// a silently different result. Floats are stored as their bits, so a resumed evaluation is
/// bit-identical; the journal is deleted once its evaluation finishes.
public final class EvaluationJournal {
    /// The journal's folder.
    public let folder: String
    /// How many batches the evaluation has.
    public let batchCount: Int
    /// Parent folders `remove` deletes when the journal leaves them empty, innermost first.
    private let emptyParents: [String]

    /// The journal in `folder`, for an evaluation of `batchCount` batches. `remove` also
    /// deletes those of `emptyParents` (innermost first) that the journal leaves empty.
    public init(folder: String, batchCount: Int, emptyParents: [String] = []) {
        self.folder = folder
        self.batchCount = batchCount
        self.emptyParents = emptyParents
    }

    /// How many batches, from the first, are already finished.
    public var finishedBatches: Int {
        var count = 0
        while count < batchCount, FileManager.default.fileExists(atPath: path(of: count)) { count += 1 }
        return count
    }

    /// The stored entry of batch `index`.
    /// - Throws: `AttackError` when the file is unreadable or not a journal entry.
    func read(batch index: Int) throws -> Entry {
        guard let data = FileManager.default.contents(atPath: path(of: index)) else {
            throw malformed(index, "cannot be read")
        }
        do {
            return try JSONDecoder().decode(Entry.self, from: data)
        } catch {
            throw malformed(index, "is not a journal entry (\(error))")
        }
    }

    /// Stores batch `index` atomically, so an interruption never leaves half an entry.
    /// - Throws: the file system's error, or `EncodingError`.
    func write(batch index: Int, _ entry: Entry) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(entry).write(to: URL(fileURLWithPath: path(of: index)), options: .atomic)
    }

    /// Deletes the journal (its evaluation finished), and the parent folders it was given
    /// when they are left empty.
    public func remove() {
        try? FileManager.default.removeItem(atPath: folder)
        for parent in emptyParents where (try? FileManager.default.contentsOfDirectory(atPath: parent))?.isEmpty == true {
            try? FileManager.default.removeItem(atPath: parent)
        }
    }

    private func path(of index: Int) -> String {
        (folder as NSString).appendingPathComponent("batch-\(index).json")
    }

    func malformed(_ index: Int, _ problem: String) -> AttackError {
        AttackError("journal", "the entry for batch \(index + 1) (\(path(of: index))) \(problem); delete \(folder) to recompute the evaluation from the start")
    }

    // MARK: Entries

    /// One finished batch: its per-sample rows, sanity flags, adversarial and purified images.
    struct Entry: Codable {
        var rows: [Row]
        var flags: [Flag]
        var adversarial: StoredTensor
        var purified: StoredTensor?
    }

    /// A `SampleRow` with its floats as bits (exact) and its id as text (64 bits exceed what
    /// JSON numbers carry exactly).
    struct Row: Codable {
        var id: String
        var label: Int
        var cleanPrediction: Int
        var adversarialPrediction: Int
        var cleanCorrect: Bool
        var robustCorrect: Bool
        var linfBits: UInt32
        var l2Bits: UInt32
        var target: Int?
        /// `SampleOutputs`: its kind and the two verdicts' values as bits; absent without outputs.
        var outputKind: String?
        var cleanOutputBits: [UInt32]?
        var adversarialOutputBits: [UInt32]?

        init(_ row: SampleRow) {
            id = String(row.sampleID)
            label = row.label
            cleanPrediction = row.cleanPrediction
            adversarialPrediction = row.adversarialPrediction
            cleanCorrect = row.cleanCorrect
            robustCorrect = row.robustCorrect
            linfBits = row.linfDistance.bitPattern
            l2Bits = row.l2Distance.bitPattern
            target = row.target
            outputKind = row.outputs?.kind.rawValue
            cleanOutputBits = row.outputs?.clean.map(\.bitPattern)
            adversarialOutputBits = row.outputs?.adversarial.map(\.bitPattern)
        }

        /// The row, or nil when a field is malformed (a bad id, an unknown output kind, output
        /// lists missing or of different lengths).
        var sampleRow: SampleRow? {
            guard let sampleID = UInt64(id) else { return nil }
            var outputs: SampleOutputs?
            if outputKind != nil || cleanOutputBits != nil || adversarialOutputBits != nil {
                guard let kind = outputKind.flatMap(VerdictOutputKind.init(rawValue:)), let clean = cleanOutputBits,
                      let adversarial = adversarialOutputBits, clean.count == adversarial.count else { return nil }
                outputs = SampleOutputs(kind: kind, clean: clean.map(Float.init(bitPattern:)),
                                        adversarial: adversarial.map(Float.init(bitPattern:)))
            }
            return SampleRow(sampleID: sampleID, label: label, cleanPrediction: cleanPrediction,
                             adversarialPrediction: adversarialPrediction, cleanCorrect: cleanCorrect,
                             robustCorrect: robustCorrect, linfDistance: Float(bitPattern: linfBits),
                             l2Distance: Float(bitPattern: l2Bits), target: target, outputs: outputs)
        }
    }

    /// A `SanityFlag`.
    struct Flag: Codable {
        var kind: String
        var message: String
        var sampleIDs: [String]

        init(_ flag: SanityFlag) {
            kind = flag.kind.rawValue
            message = flag.message
            sampleIDs = flag.sampleIDs.map(String.init)
        }

        var sanityFlag: SanityFlag? {
            guard let kind = SanityFlag.Kind(rawValue: kind) else { return nil }
            let ids = sampleIDs.compactMap(UInt64.init)
            guard ids.count == sampleIDs.count else { return nil }
            return SanityFlag(kind: kind, message: message, sampleIDs: ids)
        }
    }

    /// A tensor as its shape and the base64 of its values' little-endian bytes (bit-exact).
    struct StoredTensor: Codable {
        var shape: [Int]
        var values: String

        init(_ tensor: Tensor) {
            shape = tensor.shape
            var bytes: [UInt8] = []
            bytes.reserveCapacity(tensor.count * 4)
            tensor.withUnsafeScalars { scalars in
                for scalar in scalars {
                    let bits = scalar.bitPattern.littleEndian
                    bytes += [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                              UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)]
                }
            }
            values = Data(bytes).base64EncodedString()
        }

        /// The tensor, when it has exactly `expected` shape (checked before anything is
        /// allocated from the stored shape, which an altered file could make huge).
        func tensor(expected: [Int]) -> Tensor? {
            guard shape == expected, let data = Data(base64Encoded: values),
                  data.count == expected.reduce(1, *) * 4 else { return nil }
            let bytes = [UInt8](data)
            let scalars = stride(from: 0, to: bytes.count, by: 4).map { i in
                Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
            }
            return try? Tensor(shape: shape, scalars: scalars)
        }
    }
}

// MARK: - Keys

/// A 64-bit FNV-1a digest, fed text and tensors, written as 16 hex digits: the key of an
/// evaluation's journal.
public struct JournalDigest {
    /// The digest so far.
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    /// An empty digest.
    public init() {}

    /// Adds the UTF-8 bytes of `text` and a separator.
    public mutating func add(_ text: String) {
        for byte in text.utf8 { mix(byte) }
        mix(0)
    }

    /// Adds a tensor's shape and the exact bits of its values.
    public mutating func add(_ tensor: Tensor) {
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
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
