import Foundation
import DPLData
import DPLLang
import DPLNN

/// What `dpl check` knows about a `classify` call before anything runs: whether the classifier
/// takes the images the pipeline's source makes.
extension ClassifyStage {
    static func check(_ call: StaticCall) -> [StaticProblem] {
        shapeMismatch(call).map { [$0] } ?? []
    }

    /// `load images path="…"`: the first PNG's shape, from its header (every image must share it).
    static func folderShape(_ source: StaticCall.Upstream, folder: String) -> [Int]? {
        guard source.arguments["dataset"]?.literalText == "images", let path = source.arguments["path"]?.literalText else { return nil }
        return ImageFolder.firstImageShape(path: LoadStage.resolve(path, base: folder))
    }

    /// Image shapes `[C, H, W]` of the built-in datasets (an image folder's is read from its
    /// first PNG's header, `folderShape`).
    static let datasetShapes: [String: [Int]] = ["fashion-mnist": [1, 28, 28], "mnist": [1, 28, 28], "cifar10": [3, 32, 32]]

    /// The classifier named by `model=`, the `classifier` setting or the shipped default,
    /// against the images of the pipeline's `load` source, when both are known statically
    /// (a literal dataset or image folder, and a model file whose header names its
    /// architecture, or a `model "x.pt" arch=…` value in a variable). Stages in
    /// between keep the images' shape (`purify size=` resizes there and back).
    static func shapeMismatch(_ call: StaticCall) -> StaticProblem? {
        guard let source = call.upstream.first, source.stage == "load",
              let dataset = source.arguments["dataset"]?.literalText,
              let shape = datasetShapes[dataset] ?? folderShape(source, folder: call.folder) else { return nil }
        let setting = call.settings["classifier"]?.literalText
        // A model value made by `let m = model "file" [arch=…]`: its file, or the architecture it names.
        let made = call.argumentHistories["model"].flatMap { $0.count == 1 && $0[0].stage == "model" ? $0[0] : nil }
        let given = call.text("model") ?? made?.arguments["path"]?.literalText
        if given == nil, call.arguments["model"] != nil { return nil }  // a model value of unknown origin
        let name = given ?? setting ?? ModelLibrary.defaultClassifierFile
        guard let path = ModelLibrary().locate(name, baseDirectory: call.folder),
              let architecture = made?.arguments["arch"]?.literalText.flatMap(Architecture.init(named:))
                ?? (try? ModelFile.architecture(inHeaderOf: path)) ?? nil,
              let input = architecture.classifierInput else { return nil }
        let fits = input.channels == shape[0] && (input.size.map { $0 == shape[1] && $0 == shape[2] } ?? true)
        guard !fits else { return nil }
        let images = shape.map(String.init).joined(separator: "×")
        let takes = "\(input.channels)×" + (input.size.map { "\($0)×\($0)" } ?? "H×W")
        let file = (path as NSString).lastPathComponent
        let which: String
        if given != nil { which = "`\(file)` (\(architecture.familyName))" }
        else if setting != nil { which = "the `classifier` setting's `\(file)` (\(architecture.familyName))" }
        else { which = "with no model= the shipped Fashion-MNIST classifier `\(file)`" }
        let folderPath = dataset == "images" ? source.arguments["path"]?.literalText : nil
        let loaded = folderPath.map { "the PNG files of `load images path=\"\($0)\"` are" } ?? "`load \(dataset)` gives"
        return StaticProblem("\(loaded) \(images) images, but \(which) takes \(takes) images",
                             fix: "give a classifier for \(folderPath == nil ? dataset : "these") images: `classify model=\"file.safetensors\"` (or `set classifier = \"file.safetensors\"`); docs/models.md lists the shipped models",
                             at: given != nil ? "model" : nil)
    }
}
