// MARK: - Purpose

/// What a random draw is for (`"purify.forward"`, `"attack.init"`, `"data.shuffle"`), hashed
/// to 64 bits so that draws for different purposes never share a stream.
///
/// The hash is FNV-1a over the UTF-8 bytes: stable across processes, machines and Swift
/// versions, unlike `Hasher`, which is seeded per process and would make results irreproducible.
public struct RandomPurpose: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The human-readable name, kept for error messages and logs.
    public let name: String
    /// The stable 64-bit hash of `name` that enters the Philox key.
    public let hash: UInt64

    /// A purpose named `name`.
    public init(_ name: String) {
        self.name = name
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325   // FNV-1a 64-bit offset basis
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3    // FNV-1a 64-bit prime
        }
        self.hash = hash
    }

    /// A purpose from a string literal: `let key = RandomKey(seed: 0, purpose: "purify.forward")`.
    public init(stringLiteral name: String) { self.init(name) }

    /// The purpose's name.
    public var description: String { name }
}

// MARK: - Key

/// The address of a family of random streams, one per sample: the tuple
/// (seed, purpose, step, call) here, plus the sample id given to `stream(sample:)` or to the
/// batch fills (`Tensor.uniform(shape:key:sampleIDs:)`).
///
/// `call` is 0 for fixed randomness (`seed=fixed`: purifying the same image twice uses the
/// same noise) and a counter for fresh randomness (`seed=random`: each forward pass, EOT
/// sample or evaluation gets a new call index). `step` is the position inside a procedure
/// (a diffusion step, an attack iteration, an epoch).
///
/// ## Layout in Philox4x32-10
///
/// Philox has a 64-bit key and a 128-bit counter, fewer bits than the tuple's five 64-bit
/// fields plus a position within the stream, so the tuple is split:
///
/// - **Counter** = (sample id low, sample id high, block index low, block index high). The
///   sample id and the position enter exactly, so within one key no two (sample, position)
///   pairs share a counter, and because Philox is a bijection on counters for a fixed key,
///   no two of them share an output block. This is the field that varies inside a batch, so
///   it is the one that must never collide.
/// - **Key** = 64 bits derived from (seed, purpose, step, call) by two Philox blocks under a
///   fixed domain key `D`:
///   `a = Philox_D(seed, purposeHash)`, `b = Philox_D(a ⊕ (step, call))`, key = the first
///   two words of `b`. Both maps are injective on 128 bits (a Philox block is a bijection),
///   so distinct tuples give distinct 128-bit `b`; only the truncation to 64 bits can merge
///   two of them, with probability 2⁻⁶⁴ per pair — below 3·10⁻⁸ even for a million distinct
///   (seed, purpose, step, call) tuples in one experiment (birthday bound n²/2⁶⁵). Distinct
///   keys give unrelated streams: Philox is designed as a keyed family whose members are
///   statistically independent (Salmon et al., §3).
///
/// Purpose names hash to 64 bits with FNV-1a; the purposes are a short fixed list in code,
/// whose pairwise collision chance is negligible (and would show up as equal hashes in a test).
public struct RandomKey: Hashable, Sendable {
    /// The experiment's seed (`seed=N`; `seed=fixed` uses a documented default).
    public var seed: UInt64
    /// What the draws are for.
    public var purpose: RandomPurpose
    /// The position in a procedure: diffusion step, attack iteration, epoch.
    public var step: Int
    /// 0 for fixed randomness; a fresh index per call for fresh randomness.
    public var call: UInt64

    /// The key for (seed, purpose, step, call).
    public init(seed: UInt64, purpose: RandomPurpose, step: Int = 0, call: UInt64 = 0) {
        self.seed = seed
        self.purpose = purpose
        self.step = step
        self.call = call
    }

    /// This key at another step.
    public func atStep(_ step: Int) -> RandomKey {
        var copy = self
        copy.step = step
        return copy
    }

    /// This key for another call.
    public func forCall(_ call: UInt64) -> RandomKey {
        var copy = self
        copy.call = call
        return copy
    }

    /// This key for another purpose, e.g. one stream family per stage of a pipeline.
    public func forPurpose(_ purpose: RandomPurpose) -> RandomKey {
        var copy = self
        copy.purpose = purpose
        return copy
    }

    /// The fixed key under which (seed, purpose, step, call) are compressed ("DPL1", "keys").
    static let derivationKey: Philox4x32.Key = (0x4450_4C31, 0x6B65_7973)

    /// The 64-bit Philox key of this tuple (see the type's documentation for the layout).
    public var philoxKey: Philox4x32.Key {
        let stepBits = UInt64(bitPattern: Int64(step))
        let a = Philox4x32.block(
            counter: (low(seed), high(seed), low(purpose.hash), high(purpose.hash)),
            key: RandomKey.derivationKey)
        let b = Philox4x32.block(
            counter: (a.0 ^ low(stepBits), a.1 ^ high(stepBits), a.2 ^ low(call), a.3 ^ high(call)),
            key: RandomKey.derivationKey)
        return (b.0, b.1)
    }

    /// The stream of one sample under this key. The same (key, sample) always gives the same
    /// stream, whichever batch, batch size or thread the sample is processed in.
    public func stream(sample: UInt64) -> RandomStream {
        RandomStream(philoxKey: philoxKey, sample: sample)
    }

    /// A keyed permutation of `0..<count` (Fisher–Yates driven by the stream of `sample`),
    /// for mini-batch shuffling: use a key whose `step` is the epoch.
    public func shuffledIndices(count: Int, sample: UInt64 = 0) -> [Int] {
        var indices = Array(0..<max(0, count))
        var stream = self.stream(sample: sample)
        stream.shuffle(&indices)
        return indices
    }
}

@inline(__always) private func low(_ value: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: value) }
@inline(__always) private func high(_ value: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: value >> 32) }
