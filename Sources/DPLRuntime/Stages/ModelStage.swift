import DPLLang

/// `model "file.safetensors"` — a model read from a weight file whose metadata names its
/// architecture (see docs/models.md).
enum ModelStage {
    static let signature = StageSignature(
        name: "model", doc: "Loads a model from a .safetensors file (architecture read from its metadata).",
        input: .nothing, output: RuntimeKinds.model,
        parameters: [Parameter("path", .string, required: true, doc: "The file: absolute, relative to the script, or a name in the models folders.")],
        positional: ["path"])

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { _, arguments, _, context in
            let path = try ArgumentReader(stage: "model", arguments: arguments).text("path")
            return .runtime(try state.models.load(path, baseDirectory: context.baseDirectory))
        }
    }
}
