// MARK: - Call indices

/// The call index handed to a `Defense`: which draw of its randomness a forward pass uses.
///
/// Indices are structured rather than counted, so that they depend only on *what* the call
/// is for (which phase, restart, iteration and EOT draw), never on how many calls happened
/// before: an attack that stops early for a batch whose samples are all fooled, or a batch
/// split differently, gives every sample exactly the same noise.
///
/// Layout of the 64 bits: phase (2 bits, 62–63) · restart (22 bits, 40–61) ·
/// iteration (24 bits, 16–39) · draw (16 bits, 0–15). Attack calls, clean evaluation,
/// adversarial evaluation and analyses live in separate phases, so the final verdict never
/// reuses a draw the attack optimized against.
public enum DefenseCallIndex {
    /// What a call is for.
    public enum Phase: UInt64, Sendable {
        /// Forward/backward passes inside an attack.
        case attack = 0
        /// The clean-accuracy evaluation.
        case cleanEvaluation = 1
        /// The final verdict on the adversarial inputs.
        case adversarialEvaluation = 2
        /// Analyses (spread across draws).
        case analysis = 3
    }

    /// The largest restart, iteration and draw that fit the layout.
    public static let maxRestart = (1 << 22) - 1, maxIteration = (1 << 24) - 1, maxDraw = (1 << 16) - 1

    /// The index for one call. Values beyond the layout's fields wrap into them (masked), which
    /// only happens past 4 million restarts, 16 million iterations or 65 536 draws.
    public static func make(_ phase: Phase, restart: Int = 0, iteration: Int = 0, draw: Int = 0) -> UInt64 {
        phase.rawValue << 62
            | (UInt64(truncatingIfNeeded: restart) & UInt64(maxRestart)) << 40
            | (UInt64(truncatingIfNeeded: iteration) & UInt64(maxIteration)) << 16
            | (UInt64(truncatingIfNeeded: draw) & UInt64(maxDraw))
    }
}
