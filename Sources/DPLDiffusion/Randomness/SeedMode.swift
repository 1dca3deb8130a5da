import DPLTensor

// MARK: - Seed modes

/// How purification chooses its noise (DESIGN.md, "Randomness is keyed, not streamed").
///
/// Every draw is keyed by (seed, purpose, step, call) and the sample's id; the mode decides
/// the seed and maps the defense's call index (`DefenseCallIndex`: which phase, restart,
/// iteration and draw a forward pass is for) to the purification's call:
/// - `fixed`: seed `SeedMode.defaultSeed`, call 0 whatever the defense call. Purifying the same
///   image (same sample id) always uses the same noise, so the defense is a deterministic
///   function of its input.
/// - `seed(N)`: like `fixed` under seed N (the language's `seed=fixed` is `seed(session seed)`).
/// - `random(stream:)`: seed `stream` and call = 1 + the defense call, so each forward pass, EOT
///   draw or evaluation sees new noise, a repeated call replays its draw, and no random draw
///   repeats the call-0 noise. Nothing is counted: the noise depends on what a call is for,
///   never on how many purifications ran before, so results do not depend on batching,
///   early stopping or sharding.
public enum SeedMode: Sendable, Equatable, CustomStringConvertible {
    /// Call 0 under the default seed.
    case fixed
    /// Call 0 under the given seed.
    case seed(UInt64)
    /// Call 1 + the defense call under the seed `stream`.
    case random(stream: UInt64)

    /// The seed `fixed` uses.
    public static let defaultSeed: UInt64 = 0

    /// The stream of the `invocation`-th `seed=random` purification in a session whose seed is
    /// `session`: two randomized stages of one script draw unrelated noise, and the same
    /// script with the same seed draws the same noise again.
    public static func randomStream(session: UInt64, invocation: UInt64) -> UInt64 {
        SplitMix64.value(invocation, seed: session)
    }

    /// The keys of the purification that defense call `call` runs.
    public func noise(call: UInt64) -> PurificationNoise {
        switch self {
        case .fixed: return PurificationNoise(seed: SeedMode.defaultSeed, call: 0)
        case .seed(let seed): return PurificationNoise(seed: seed, call: 0)
        case .random(let stream): return PurificationNoise(seed: stream, call: call &+ 1)
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
