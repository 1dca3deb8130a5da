/// The identity of one sample: which dataset, which split, and its index in the original file.
///
/// DPL keys every random draw by the sample it concerns, so that results do not depend on batch
/// size, order or how data is split across workers. The identity therefore refers to the
/// original file position, never to a position inside a batch or subset.
public struct SampleID: Hashable, Sendable, CustomStringConvertible {
    /// The dataset name, e.g. `fashion-mnist`.
    public let dataset: String
    /// The split, e.g. `train` or `test`.
    public let split: String
    /// The index of the sample in the original file (or in the sorted file list of a folder).
    public let index: Int

    /// An identity for sample `index` of `dataset`'s `split`.
    public init(dataset: String, split: String, index: Int) {
        self.dataset = dataset
        self.split = split
        self.index = index
    }

    /// The canonical text the key is computed from: `dataset/split/index`, e.g.
    /// `fashion-mnist/test/0`. Part of the stable format: changing it changes every key.
    public var canonicalString: String { "\(dataset)/\(split)/\(index)" }

    /// A stable 64-bit key: FNV-1a (64-bit, offset basis 0xcbf29ce484222325, prime
    /// 0x100000001b3) over the UTF-8 bytes of `canonicalString`.
    ///
    /// Stable across runs, machines and Swift versions (unlike `hashValue`, which is seeded
    /// per process), so random noise keyed by it is reproducible.
    public var key: UInt64 { fnv1a64(canonicalString) }

    /// `dataset/split/index`.
    public var description: String { canonicalString }
}

// MARK: - FNV-1a

/// 64-bit FNV-1a of the UTF-8 bytes of `text`.
func fnv1a64(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}
