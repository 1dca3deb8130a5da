import Foundation
import DPLLang

/// A stand-in for the runtime's records: a kind and the trace of stages that touched it.
/// Test-only; the product registry holds no fake stages.
public final class FakeRecord: RuntimeValue {
    public let typeName: String
    public let trace: [String]

    init(_ typeName: String, trace: [String]) {
        self.typeName = typeName
        self.trace = trace
    }

    public var description: String { "\(typeName)(\(trace.joined(separator: " > ")))" }

    func with(_ kind: String, step: String) -> FakeRecord { FakeRecord(kind, trace: trace + [step]) }
}

public struct FakeFailure: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) { self.description = description }
}

/// A registry shaped like the runtime's: a source, an attack that receives what follows it,
/// a batch-to-batch defense, a classifier, a report, and a stage that always fails.
public func makeTestRegistry(attackLog: ((String) -> Void)? = nil) -> StageRegistry {
    var registry = StageRegistry()
    let dataset = DataKind("dataset"), batch = DataKind("batch")
    let classified = DataKind("classified batch"), table = DataKind("table")
    func record(_ input: Value?) -> FakeRecord {
        input?.runtimeValue(as: FakeRecord.self) ?? FakeRecord("batch", trace: [input?.description ?? "nothing"])
    }
    do {
        try registry.register(StageSignature(
            name: "load", doc: "Loads a dataset split.", input: .nothing, output: dataset,
            parameters: [
                Parameter("dataset", .name, required: true, doc: "Dataset name."),
                Parameter("split", .choice(["train", "test"]), default: .name("test"), doc: "Which split."),
                Parameter("n", .integer, default: .number(8), minimum: 1, doc: "Number of samples."),
            ], positional: ["dataset"])) { _, arguments, _, _ in
            let name = arguments["dataset"]?.textValue ?? "?"
            let count = arguments["n"]?.integerValue ?? 0
            return .runtime(FakeRecord("dataset", trace: ["\(name) n=\(count)"]))
        }
        try registry.register(StageSignature(
            name: "attack", doc: "Attacks the composition of every stage after it.",
            input: .kinds([dataset, batch]), output: batch,
            parameters: [
                Parameter("method", .choice(["pgd", "apgd", "fgsm"]), required: true, doc: "Attack method."),
                Parameter("eps", .number, default: .number(8.0 / 255.0), minimum: 0, maximum: 1, doc: "L-infinity budget."),
                Parameter("steps", .integer, default: .number(10), minimum: 1, doc: "Iterations."),
            ], positional: ["method"], attacksDownstream: true)) { input, arguments, downstream, context in
            let method = arguments["method"]?.textValue ?? "?"
            let eps = Value.format(((arguments["eps"]?.numberValue ?? 0) * 255).rounded())
            attackLog?("attack \(method) against \(downstream.map(\.name).joined(separator: ","))")
            let attacked = record(input).with("batch", step: "attack \(method) eps=\(eps)/255")
            return try BoundStage.runChain(downstream, input: .runtime(attacked), context: context)
        }
        try registry.register(StageSignature(
            name: "purify", doc: "Diffuses and denoises a batch.", input: .kinds([dataset, batch]), output: batch,
            parameters: [
                Parameter("t", .integer, default: .number(100), minimum: 1, maximum: 1000, doc: "Diffusion steps."),
                Parameter("seed", .oneOf([.choice(["fixed", "random"]), .integer]), default: .name("fixed"), doc: "Noise keying."),
                Parameter("sampler", .choice(["ddpm", "ddim", "sde"]), default: .name("ddpm"), doc: "Reverse sampler."),
            ])) { input, arguments, _, _ in
            let t = arguments["t"].map(\.description) ?? "?"
            let seed = arguments["seed"].map(\.description) ?? "?"
            let sampler = arguments["sampler"].map(\.description) ?? "?"
            return .runtime(record(input).with("batch", step: "purify t=\(t) seed=\(seed) \(sampler)"))
        }
        try registry.register(StageSignature(
            name: "classify", doc: "Predicts labels.", input: .kinds([dataset, batch]), output: classified)) { input, _, _, _ in
            .runtime(record(input).with("classified batch", step: "classify"))
        }
        try registry.register(StageSignature(
            name: "report", doc: "Prints accuracy.", input: .kinds([classified]), output: table,
            parameters: [Parameter("as", .string, default: .string("result"), doc: "Title of the row.")])) { input, arguments, _, context in
            context.print("\(arguments["as"]?.description ?? "?"): \(record(input).trace.joined(separator: " > "))")
            return .none
        }
        try registry.register(StageSignature(
            name: "explode", doc: "Always fails.", input: .anything, output: .any)) { _, _, _, _ in
            throw FakeFailure(description: "the model file is missing")
        }
    } catch {
        // The fixture signatures are fixed; a failure here is a bug in the fixture itself.
        fatalError("test registry: \(error)")
    }
    return registry
}

/// An in-memory file system for imports.
