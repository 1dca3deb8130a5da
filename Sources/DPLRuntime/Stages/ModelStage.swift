import DPLLang
import DPLNN

/// `model "file.safetensors"` — a model read from a weight file whose metadata names its
/// architecture, or `model "file.pth" arch=… key=…` — a PyTorch checkpoint read natively
/// (see docs/models.md).
enum ModelStage {
    static let signature = StageSignature(
        name: "model", doc: "Loads a model from a .safetensors file (architecture read from its metadata) or a PyTorch .pt/.pth/.bin checkpoint (arch= needed).",
        input: .nothing, output: RuntimeKinds.model,
        parameters: [
            Parameter("path", .string, required: true, doc: "The file: absolute, relative to the script, or a name in the models folders."),
            Parameter("arch", .choice(Architecture.names), doc: "The architecture, for files without DPL metadata (a PyTorch checkpoint or state_dict)."),
            Parameter("key", .string, doc: "PyTorch checkpoints: the entry holding the state_dict (model, state_dict, ema, net, …); ema reads score_sde's EMA weights."),
        ],
        positional: ["path"])

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { _, arguments, _, context in
            let args = ArgumentReader(stage: "model", arguments: arguments)
            let fallback = args.optionalText("arch").flatMap(Architecture.init(named:))
            return .runtime(try state.models.load(try args.text("path"), baseDirectory: context.baseDirectory, fallback: fallback,
                                                  key: args.optionalText("key")))
        }
    }
}
