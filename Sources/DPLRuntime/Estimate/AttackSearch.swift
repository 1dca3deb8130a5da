import DPLAttacks

/// How many times an attack's search calls the defense per batch, each call over the whole
/// batch: with the input gradient (`gradientCalls`) and without (`forwardCalls`). Every
/// evaluation of the loss is averaged over the EOT draws, one defense call each
/// (`LossOracle.evaluate`).
struct AttackSearch {
    let gradientCalls: Int
    let forwardCalls: Int
    /// Whether the count is an upper bound: square stops querying a sample once it succeeds.
    let isUpperBound: Bool

    /// The search of `attack`, or nil for an attack this planner does not know.
    init?(_ attack: Attack) {
        switch attack {
        case let pgd as PGD:
            // Per restart: a gradient at each of `steps` iterates, then the last iterate's loss.
            gradientCalls = pgd.restarts * pgd.steps * pgd.eotSamples
            forwardCalls = pgd.restarts * pgd.eotSamples
            isUpperBound = false
        case let apgd as APGD:
            // Per restart: the start point, then one gradient per step.
            gradientCalls = apgd.restarts * (apgd.steps + 1) * apgd.eotSamples
            forwardCalls = 0
            isUpperBound = false
        case let fgsm as FGSM:
            // The gradient at the clean image, then the loss at the step's end.
            gradientCalls = fgsm.eotSamples
            forwardCalls = fgsm.eotSamples
            isUpperBound = false
        case let square as SquareAttack:
            // Per restart: the start, then one query per step for the samples still unbroken.
            gradientCalls = 0
            forwardCalls = square.restarts * (square.queries + 1) * square.eotSamples
            isUpperBound = true
        default:
            return nil
        }
    }
}
