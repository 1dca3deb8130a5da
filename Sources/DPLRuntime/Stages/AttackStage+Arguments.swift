import Foundation
import DPLAttacks
import DPLLang
import DPLTensor

// MARK: - From arguments to the engine's attack objects

extension AttackStage {
    /// The target rule of `target=N|random|least-likely`, or `nil` for an untargeted attack.
    /// - Throws: `RuntimeError` for a negative class (the range is checked against the defense).
    static func makeTargetRule(_ args: ArgumentReader) throws -> TargetRule? {
        guard let value = args.value("target") else { return nil }
        if let n = value.integerValue {
            guard n >= 0 else {
                throw RuntimeError("`attack target=\(n)` is not a class; classes are numbered from 0, so give target=0 or higher, random or least-likely")
            }
            return .class(n)
        }
        return value.textValue == "least-likely" ? .leastLikely : .random
    }

    /// The attack object the arguments describe.
    static func makeAttack(_ args: ArgumentReader, seed: UInt64) throws -> Attack {
        let method = try args.text("method")
        let budget = try AttackBudget(norm: try args.text("norm") == "l2" ? .l2 : .linf, epsilon: Float(try args.number("eps")))
        let eot = try args.integer("eot")
        let restarts = try args.integer("restarts")
        let lossName = args.optionalText("loss")
        let loss = lossName.flatMap(AttackLoss.init(rawValue:))
        let keep = IterateRule(rawValue: try args.text("keep")) ?? .best
        if keep == .last && method != "pgd" {
            throw RuntimeError("`attack \(method)` keeps its best point; keep=last is for pgd only")
        }
        switch method {
        case "pgd":
            let steps = try args.optionalInteger("steps") ?? 10
            let step = args.optionalNumber("step").map(Float.init) ?? 2.5 * budget.epsilon / Float(max(1, steps))
            return try PGD(budget: budget, steps: steps, stepSize: step, randomStart: try args.bool("random_start"),
                           restarts: restarts, eot: eot, loss: loss ?? .crossEntropy, seed: seed, keep: keep)
        case "fgsm":
            return try FGSM(budget: budget, eot: eot, loss: loss ?? .crossEntropy)
        case "apgd":
            return try APGD(budget: budget, steps: try args.optionalInteger("steps") ?? 100, restarts: restarts,
                            loss: loss ?? .crossEntropy, eot: eot, seed: seed)
        case "square":
            return try SquareAttack(budget: budget, queries: try args.integer("queries"), restarts: restarts,
                                    eot: eot, loss: loss ?? .margin, seed: seed)
        default:
            // The checker refuses other names; a method listed in `methods` but not built here
            // must fail loudly rather than run another attack under its name.
            throw RuntimeError("`attack \(method)` is not an attack DPL knows; use one of \(methods.joined(separator: ", "))")
        }
    }
}
