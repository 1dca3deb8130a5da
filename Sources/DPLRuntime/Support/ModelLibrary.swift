import Foundation
import DPLLang
import DPLNN
import DPLTensor

/// Finds and caches models: the shipped defaults, files named in scripts, and models given as
/// values. Each file is read once per session.
final class ModelLibrary {
    /// The shipped classifier, looked up in the models folders.
    static let defaultClassifierFile = "fmnist-cnn-small.safetensors"
    /// The shipped diffusion model.
    static let defaultDiffusionFile = "fmnist-unet-tiny.safetensors"

    private var cache: [String: ModelValue] = [:]
    /// Where every weights file read is fingerprinted for provenance.
    private let openedFiles: OpenedFiles?

    /// A library recording the files it reads in `openedFiles`.
    init(openedFiles: OpenedFiles? = nil) { self.openedFiles = openedFiles }

    /// Files a smoke run wrote elsewhere (`SmokeMode.redirect`): the path the script named → the file written.
    private var redirects: [String: String] = [:]

    /// Makes later lookups of `path` find `target`, where a smoke run saved it instead.
    func redirect(_ path: String, to target: String) {
        redirects[URL(fileURLWithPath: path).standardizedFileURL.path] = target
    }

    /// Folders searched for a model file given by a bare name, in order: `$DPL_MODELS`, the
    /// script's folder and its `models/`, the working directory's `models/`, and the `models/`
    /// folder of the DPL checkout this binary was built from (so the defaults work wherever
    /// `dpl` is run).
    static func searchFolders(baseDirectory: String) -> [String] {
        var folders: [String] = []
        if let env = ProcessInfo.processInfo.environment["DPL_MODELS"], !env.isEmpty { folders.append(env) }
        folders += [baseDirectory, baseDirectory + "/models", FileManager.default.currentDirectoryPath + "/models"]
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        folders.append(packageRoot.appendingPathComponent("models").path)
        var seen = Set<String>()
        return folders.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.filter { seen.insert($0).inserted }
    }

    /// The names of the model files in `folders` (safetensors without their extension, PyTorch
    /// checkpoints with theirs), for suggestions.
    static func modelNames(in folders: [String]) -> [String] {
        let names = folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap { name -> String? in
                if name.hasSuffix(".safetensors") && !name.contains(".ckpt.") { return String(name.dropLast(".safetensors".count)) }
                return ModelFile.isPyTorchCheckpoint(name) ? name : nil
            }
        }
        return Array(Set(names)).sorted()
    }

    /// Resolves a path written in a script: absolute, relative to the script, or a bare file
    /// name found in the search folders.
    func locate(_ name: String, baseDirectory: String) -> String? {
        let fm = FileManager.default
        let named = name.hasPrefix("/") ? name : (baseDirectory as NSString).appendingPathComponent(name)
        if let target = redirects[URL(fileURLWithPath: named).standardizedFileURL.path], fm.fileExists(atPath: target) {
            return target
        }
        if name.hasPrefix("/") { return fm.fileExists(atPath: name) ? name : nil }
        let relative = (baseDirectory as NSString).appendingPathComponent(name)
        if fm.fileExists(atPath: relative) { return relative }
        for folder in Self.searchFolders(baseDirectory: baseDirectory) {
            let candidate = (folder as NSString).appendingPathComponent(name)
            if fm.fileExists(atPath: candidate) { return candidate }
            if fm.fileExists(atPath: candidate + ".safetensors") { return candidate + ".safetensors" }
        }
        return nil
    }

    /// Loads (or returns the cached) model at `name`: a safetensors file, or a PyTorch
    /// checkpoint (`.pt`, `.pth`, `.bin`) read natively with `fallback` as its architecture and
    /// `key` naming the entry that holds its weights.
    func load(_ name: String, baseDirectory: String, fallback: Architecture? = nil, key: String? = nil) throws -> ModelValue {
        guard let path = locate(name, baseDirectory: baseDirectory) else {
            let searched = Self.searchFolders(baseDirectory: baseDirectory)
            let folders = searched.joined(separator: ", ")
            let available = Self.modelNames(in: searched)
            // `cnn-small` for `fmnist-cnn-small`: a shipped name containing what was typed counts too.
            let stem = name.hasSuffix(".safetensors") ? String(name.dropLast(".safetensors".count)) : name
            if let guess = Suggestion.closest(to: stem, among: available) ?? available.first(where: { $0.contains(stem) }) {
                throw RuntimeError("model file `\(name)` was not found (looked relative to the script and in \(folders)); did you mean `\(guess)`?")
            }
            let listing = available.isEmpty ? "" : " (found: \(available.joined(separator: ", ")))"
            throw RuntimeError("model file `\(name)` was not found (looked relative to the script and in \(folders))\(listing); give a path to a .safetensors file or a PyTorch .pt/.pth/.bin checkpoint, or set DPL_MODELS")
        }
        let pyTorch = ModelFile.isPyTorchCheckpoint(path)
        guard path.lowercased().hasSuffix(".safetensors") || pyTorch else {
            throw RuntimeError("`\(name)` is not a model file; models are .safetensors files, such as fmnist-cnn-small.safetensors, or PyTorch checkpoints ending in .pt, .pth or .bin")
        }
        if key != nil && !pyTorch {
            throw RuntimeError("key= picks the state_dict inside a PyTorch checkpoint; `\(name)` is a safetensors file, which has one set of weights: remove key=")
        }
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        try openedFiles?.record(standardized, as: .weights, scriptFolder: baseDirectory)
        // One file can give several models: a checkpoint's `model` and `ema` weights, or one
        // state_dict read as two architectures.
        let cacheKey = pyTorch ? "\(standardized)|arch=\(fallback.map { "\($0)" } ?? "")|key=\(key ?? "")" : standardized
        if let cached = cache[cacheKey] { return cached }
        let file = pyTorch ? try ModelFile(pyTorchCheckpoint: path, architecture: fallback, key: key)
                           : try ModelFile(path: path, fallback: fallback)
        // NaN weights (a file saved from a diverged training) give NaN logits, whose arg-max is
        // an arbitrary class: every number computed with them would look valid and mean nothing.
        for (tensorName, tensor) in file.model.stateDict() where !tensor.withUnsafeScalars({ $0.allSatisfy(\.isFinite) }) {
            throw RuntimeError("`\(name)` holds weights that are not finite numbers (NaN or infinity) in `\(tensorName)`: it was saved from a training that diverged, and every result computed with it would be meaningless; retrain it (with a lower learning rate) or use another file")
        }
        let value = ModelValue(model: file.model, architecture: file.architecture, path: path, metadata: file.metadata)
        cache[cacheKey] = value
        return value
    }

    /// The model a stage should use: its `model=` argument, else the session setting (`classifier`
    /// or `diffusion`), else the shipped default file.
    func resolve(argument: Value?, setting: Value?, defaultFile: String, role: String,
                 baseDirectory: String) throws -> ModelValue {
        for candidate in [argument, setting] {
            guard let candidate else { continue }
            if let model = candidate.runtimeValue(as: ModelValue.self) { return model }
            if let name = candidate.textValue { return try load(name, baseDirectory: baseDirectory) }
            throw RuntimeError("the \(role) must be a model or the name of a model file, not `\(candidate.literal)`")
        }
        do {
            return try load(defaultFile, baseDirectory: baseDirectory)
        } catch let error as RuntimeError {
            throw RuntimeError("no \(role) was given and the shipped default could not be loaded: \(error.description). Train one with examples/train/ or pass model=\"file.safetensors\"")
        }
    }

    /// Drops cached models (the REPL's `:reset`).
    func clear() {
        cache.removeAll()
        redirects.removeAll()
    }
}
