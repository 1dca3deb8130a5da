import Foundation
import DPLLang

/// What `dpl check` knows about a `save` call before anything runs: whether the file's
/// extension can hold what is piped in (results only as .json/.csv, a model only as
/// .safetensors, images as anything but .json/.csv), and the `.npy` array choice. A bare
/// `save "r.json"` statement reads the default source, a dataset, so it is caught here rather
/// than after the lines above it ran.
extension SaveStage {
    static func check(_ call: StaticCall) -> [StaticProblem] {
        (kindMismatch(call).map { [$0] } ?? []) + checkArrayChoice(call)
    }

    /// The kinds each extension holds (SaveStage.swift's `switch` on the run's side).
    static let kindsByExtension: [String: [DataKind]] = [
        "json": [RuntimeKinds.results, RuntimeKinds.table], "csv": [RuntimeKinds.results, RuntimeKinds.table],
        "safetensors": [RuntimeKinds.model, RuntimeKinds.dataset, RuntimeKinds.batch, RuntimeKinds.results],
        "npz": [RuntimeKinds.dataset, RuntimeKinds.batch, RuntimeKinds.results],
        "npy": [RuntimeKinds.dataset, RuntimeKinds.batch, RuntimeKinds.results],
        "png": [RuntimeKinds.dataset, RuntimeKinds.batch, RuntimeKinds.results],
    ]

    static func kindMismatch(_ call: StaticCall) -> StaticProblem? {
        guard let path = call.text("path"), case .kind(let kind)? = call.input, kind != .any else { return nil }
        let ext = (path as NSString).pathExtension.lowercased()
        guard let holds = kindsByExtension[ext], !holds.contains(kind) else { return nil }
        let stem = (path as NSString).deletingPathExtension
        let fix: String
        switch kind {
        case RuntimeKinds.model: fix = "save a model as `\(stem).safetensors`"
        case RuntimeKinds.table: fix = "save results as `\(stem).json` or `\(stem).csv`"
        default:
            fix = ["json", "csv"].contains(ext)
                ? "classify first: `… | classify | report | save \"\(path)\"`, or `results | save \"\(path)\"` for every result so far"
                : "save images as .safetensors, .npz, .npy or .png"
        }
        return StaticProblem("`save \"\(path)\"` gets a \(kind.name), which a .\(ext) file cannot hold",
                             fix: fix, at: "path")
    }
}
