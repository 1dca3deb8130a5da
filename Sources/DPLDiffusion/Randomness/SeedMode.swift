import Foundation
import DPLTensor

// MARK: - Seed modes

/// How purification chooses its noise (DESIGN.md, "Randomness is keyed, not streamed").
///
/// Every draw is keyed by (seed, purpose, step, call) and the sample's id; the mode decides
/// the seed and the call:
/// - `fixed`: seed `SeedMode.defaultSeed`, call 0. Purifying the same image (same sample id)
///   always uses the same noise, so the defense is a deterministic function of its input.
/// - `seed(N)`: like `fixed` under seed N.
/// - `random(counter)`: the default seed and a fresh call index from `counter` on every
///   purification, so each forward pass, EOT sample or evaluation sees new noise. Call
///   indices start at 1, so a random draw never repeats the `fixed` noise.
public enum SeedMode: Sendable, CustomStringConvertible {
    /// Call 0 under the default seed.
    case fixed
    /// Call 0 under the given seed.
    case seed(UInt64)
    /// A fresh call index per purification, from a counter the caller owns.
    case random(RandomCallCounter)

    /// The seed `fixed` and `random` use.
    public static let defaultSeed: UInt64 = 0

    /// The (seed, call) of the next purification. `random` advances its counter.
    public func nextSeedAndCall() -> (seed: UInt64, call: UInt64) {
        switch self {
        case .fixed: return (SeedMode.defaultSeed, 0)
        case .seed(let seed): return (seed, 0)
        case .random(let counter): return (SeedMode.defaultSeed, counter.next())
        }
    }

    /// Whether purifying the same image twice gives the same result.
    public var isDeterministic: Bool {
        if case .random = self { return false }
        return true
    }

    /// `fixed`, `seed=N` or `random`, as the language spells it.
    public var description: String {
        switch self {
        case .fixed: return "fixed"
        case .seed(let seed): return "seed=\(seed)"
        case .random: return "random"
        }
    }
}

// MARK: - Call counter

/// The source of fresh call indices for `SeedMode.random`: 1, 2, 3, … Thread-safe; an
/// experiment owns one per randomized stage so that runs are reproducible from its start value.
public final class RandomCallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var nextCall: UInt64

    /// A counter whose first call index is `first` (at least 1; 0 is the fixed noise).
    public init(startingAt first: UInt64 = 1) {
        nextCall = max(first, 1)
    }

    /// The next call index.
    public func next() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        let call = nextCall
        nextCall &+= 1
        return call
    }

    /// The index the next `next()` will return, without consuming it.
    public var peek: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return nextCall
    }
}

// MARK: - Purposes

/// The keys of one purification: forward noising and each sampler's reverse-step noise draw
/// from separate purposes, so no two draws of one call share a stream.
public struct PurificationNoise: Sendable, Equatable {
    /// The seed of this purification.
    public let seed: UInt64
    /// The call index of this purification (0 for `fixed` and `seed=N`).
    public let call: UInt64

    /// The noise of seed `seed`, call `call`.
    public init(seed: UInt64, call: UInt64) {
        self.seed = seed
        self.call = call
    }

    /// The purpose of the forward noising ε.
    public static let diffusePurpose: RandomPurpose = "purify.diffuse"

    /// The key of the forward noising ε to step t (t = 1…T forward steps).
    public func diffuseKey(t: Int) -> RandomKey {
        RandomKey(seed: seed, purpose: PurificationNoise.diffusePurpose, step: t, call: call)
    }

    /// The key of the noise injected by reverse step `step` (0 = the first reverse step) of
    /// the sampler whose purpose is `purpose`.
    public func reverseKey(purpose: RandomPurpose, step: Int) -> RandomKey {
        RandomKey(seed: seed, purpose: purpose, step: step, call: call)
    }
}
