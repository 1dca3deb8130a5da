import DPLLang

/// What `dpl check` knows about a `classify` call before anything runs: `outputs=` only for
/// a clean evaluation.
extension ClassifyStage {
    static func check(_ call: StaticCall) -> [StaticProblem] {
        var problems: [StaticProblem] = []
        if let outputs = call.text("outputs"), outputs != "none", call.upstream.contains(where: { $0.stage == "attack" }) {
            problems.append(outputsAfterAttack(outputs))
        }
        return problems
    }

    /// Model outputs go into a clean evaluation's rows; an attacked evaluation's rows hold two
    /// predictions per sample (clean and adversarial) and have no place for them yet.
    static func outputsAfterAttack(_ outputs: String) -> StaticProblem {
        StaticProblem("`classify outputs=\(outputs)` adds the model's outputs to a clean evaluation's rows; after `attack` the rows hold a clean and an adversarial prediction and carry no outputs",
                      fix: "drop `outputs=` here, and add a clean evaluation for them: `data | classify outputs=\(outputs) | report`",
                      at: "outputs")
    }
}
