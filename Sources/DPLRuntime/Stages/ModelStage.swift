import DPLLang
import DPLNN

/// `model "file.safetensors"` — a model read from a weight file whose metadata names its
/// architecture (see docs/models.md).
enum ModelStage {
    static let signature = StageSignature(
        name: "model", doc: "Loads a model from a .safetensors file (architecture read from its metadata).",
        input: .nothing, output: RuntimeKinds.model,
        parameters: [
            Parameter("path", .string, required: true, doc: "The file: absolute, relative to the script, or a name in the models folders."),
            Parameter("arch", .choice(Architecture.names), doc: "The architecture, for files without DPL metadata (a PyTorch state_dict)."),
        ],
        positional: ["path"])

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { _, arguments, _, context in
            let args = ArgumentReader(stage: "model", arguments: arguments)
            let fallback = args.optionalText("arch").flatMap(Architecture.init(named:))
            return .runtime(try state.models.load(try args.text("path"), baseDirectory: context.baseDirectory, fallback: fallback))
        }
    }
}
