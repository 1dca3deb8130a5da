// MARK: - Philox4x32-10

/// The Philox4x32-10 counter-based generator (Salmon, Moraes, Dror, Shaw, "Parallel Random
/// Numbers: As Easy as 1, 2, 3", SC11, 2011).
///
/// Philox is a keyed bijection on 128-bit counters: `block(counter, key)` is a pure function,
/// so any draw can be computed without the draws before it, by any thread, in any order. That
/// is what lets DPL address randomness by *name* (seed, purpose, sample, step, call) instead
/// of by position in a shared stream.
///
/// Each of the ten rounds multiplies two words by fixed odd constants, splits the 64-bit
/// products into high and low halves, and mixes them with the other words and the round key
/// (a Feistel-like network); the key is bumped by the Weyl constants between rounds. The
/// output is checked against Random123's known-answer vectors in the tests.
public enum Philox4x32 {
    /// The four 32-bit words of a counter or an output block.
    public typealias Block = (UInt32, UInt32, UInt32, UInt32)
    /// The two 32-bit words of a key.
    public typealias Key = (UInt32, UInt32)

    /// The round multipliers (Random123 `PHILOX_M4x32_0`, `PHILOX_M4x32_1`).
    @usableFromInline static let multiplier0: UInt32 = 0xD251_1F53
    @usableFromInline static let multiplier1: UInt32 = 0xCD9E_8D57
    /// The key schedule's Weyl increments (golden ratio and sqrt(3) − 1, as in Random123).
    @usableFromInline static let weyl0: UInt32 = 0x9E37_79B9
    @usableFromInline static let weyl1: UInt32 = 0xBB67_AE85

    /// The number of rounds; 10 is Random123's default and has a safety margin over the 7
    /// rounds that already pass BigCrush.
    public static let rounds = 10

    /// The 128 pseudo-random bits at `counter` under `key`.
    @inlinable
    public static func block(counter: Block, key: Key) -> Block {
        var c = counter
        var k = key
        for round in 0..<rounds {
            if round > 0 {
                k.0 &+= weyl0
                k.1 &+= weyl1
            }
            let product0 = UInt64(multiplier0) * UInt64(c.0)
            let product1 = UInt64(multiplier1) * UInt64(c.2)
            let high0 = UInt32(truncatingIfNeeded: product0 >> 32), low0 = UInt32(truncatingIfNeeded: product0)
            let high1 = UInt32(truncatingIfNeeded: product1 >> 32), low1 = UInt32(truncatingIfNeeded: product1)
            c = (high1 ^ c.1 ^ k.0, low1, high0 ^ c.3 ^ k.1, low0)
        }
        return c
    }
}
