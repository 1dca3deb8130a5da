import Foundation
import DPLTensor

// MARK: - Weight files that know their architecture

/// A built-in architecture, as recorded in a weight file's metadata.
public enum Architecture: Equatable, Sendable {
    /// The convolutional classifier family (`cnn-small` by default).
    case cnn(CNNClassifier.Configuration)
    /// The DDPM U-Net family (`unet-tiny` by default).
    case unet(UNet.Configuration)
    /// The WideResNet classifier family (`wrn-28-10` by default).
    case wrn(WideResNet.Configuration)
    /// torchvision's bottleneck ResNet family (`resnet50`).
    case resnet(ResNet.Configuration)
    /// score_sde's NCSN++ score network (`ncsnpp`: DiffPure's CIFAR-10 model by default).
    case ncsnpp(NCSNpp.Configuration)
    /// guided-diffusion's ADM U-Net (`adm-imagenet256`: DiffPure's ImageNet model by default).
    case adm(ADMUNet.Configuration)

    /// The metadata value of `dpl.architecture`.
    public var familyName: String {
        switch self {
        case .cnn: return "cnn"
        case .unet: return "unet"
        case .wrn: return "wrn"
        case .resnet: return "resnet"
        case .ncsnpp: return "ncsnpp"
        case .adm: return "adm"
        }
    }

    /// Builds a freshly initialized model of this architecture.
    public func makeModel(key: RandomKey) throws -> any Module {
        switch self {
        case .cnn(let configuration): return try CNNClassifier(configuration, key: key)
        case .unet(let configuration): return try UNet(configuration, key: key)
        case .wrn(let configuration): return try WideResNet(configuration, key: key)
        case .resnet(let configuration): return try ResNet(configuration, key: key)
        case .ncsnpp(let configuration): return try NCSNpp(configuration, key: key)
        case .adm(let configuration): return try ADMUNet(configuration, key: key)
        }
    }

    /// The architecture of a model built by DPL.
    public init?(of model: any Module) {
        if let cnn = model as? CNNClassifier { self = .cnn(cnn.configuration) }
        else if let unet = model as? UNet { self = .unet(unet.configuration) }
        else if let wrn = model as? WideResNet { self = .wrn(wrn.configuration) }
        else if let resnet = model as? ResNet { self = .resnet(resnet.configuration) }
        else if let ncsnpp = model as? NCSNpp { self = .ncsnpp(ncsnpp.configuration) }
        else if let adm = model as? ADMUNet { self = .adm(adm.configuration) }
        else { return nil }
    }

    /// The architecture named on the command line or in a script: `cnn-small`, `unet-tiny`,
    /// `unet` (base width 64, the larger variant), `wrn-DEPTH-K` for any WideResNet
    /// (`wrn-28-10`, `wrn-16-4`, …; CIFAR-10 shape: 3×32×32 images, 10 classes), `resnet50`
    /// (torchvision's, ImageNet: 1000 classes, any image size), `ncsnpp` (DiffPure's CIFAR-10
    /// score model, configs/cifar10.yml), or `adm-imagenet256` (DiffPure's ImageNet score
    /// model, configs/imagenet.yml).
    public init?(named name: String) {
        switch name {
        case "cnn-small", "cnn": self = .cnn(.small)
        case "unet-tiny": self = .unet(.tiny)
        case "unet": self = .unet(UNet.Configuration(baseWidth: 64, groups: 8))
        case "resnet50": self = .resnet(.resnet50)
        case "ncsnpp": self = .ncsnpp(.cifar10)
        case "adm-imagenet256": self = .adm(.imagenet256)
        default:
            let parts = name.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "wrn", let depth = Int(parts[1]), let widen = Int(parts[2]),
                  (10...Limits.wideResNetDepth).contains(depth), (depth - 4) % 6 == 0,
                  (1...Limits.widenFactor).contains(widen) else { return nil }
            self = .wrn(WideResNet.Configuration(depth: depth, widenFactor: widen))
        }
    }

    /// Names scripts may give as `arch=` (`init(named:)` accepts every `wrn-DEPTH-K`; these
    /// are the WideResNets of the robustness literature).
    public static let names = ["cnn-small", "unet-tiny", "unet", "wrn-16-4", "wrn-28-10", "wrn-34-10", "wrn-70-16", "resnet50", "ncsnpp", "adm-imagenet256"]
}

/// A model read from, or written to, a safetensors file whose metadata records the
/// architecture (`dpl.architecture`, `dpl.configuration`), so `model "file.safetensors"`
/// needs nothing else. Other metadata (training settings, accuracies, the noise schedule)
/// travels along as strings.
public struct ModelFile {
    /// The model with the file's weights.
    public let model: any Module
    /// The architecture it was built from.
    public let architecture: Architecture
    /// Every metadata entry of the file.
    public let metadata: [String: String]
    /// The file's path.
    public let path: String

    static let architectureKey = "dpl.architecture"
    static let configurationKey = "dpl.configuration"

    /// Reads a model file, builds its architecture and loads the weights.
    /// - Throws: an error naming the file and what is wrong: unreadable, not safetensors, no
    ///   architecture in the metadata, a configuration that does not decode, or weights that
    ///   do not fit the architecture (every missing, extra or wrong-shaped tensor).
    ///
    /// `fallback` is the architecture to assume when the file has no DPL metadata, as for a
    /// state_dict saved from PyTorch with `safetensors.torch.save_file`.
    public init(path: String, fallback: Architecture? = nil) throws {
        try self.init(file: try SafetensorsFile(contentsOf: URL(fileURLWithPath: path)), path: path, fallback: fallback)
    }

    /// Reads a model file already in memory, as `init(path:fallback:)` does; `path` is for
    /// messages. Readers of untrusted bytes (the fuzz harnesses) call this without a file.
    public init(data: Data, path: String, fallback: Architecture? = nil) throws {
        let name = URL(fileURLWithPath: path).lastPathComponent
        try self.init(file: try SafetensorsFile(data: data, fileName: name), path: path, fallback: fallback)
    }

    private init(file: SafetensorsFile, path: String, fallback: Architecture?) throws {
        guard let family = file.metadata[Self.architectureKey], let json = file.metadata[Self.configurationKey] else {
            guard let fallback else {
                throw ModelFileError(path: path, "has no `dpl.architecture` and `dpl.configuration` metadata; for weights saved from PyTorch name the architecture: model \"file\" arch=cnn-small (see docs/models.md)")
            }
            try self.init(file: file, path: path, architecture: fallback)
            return
        }
        let architecture = try Self.architecture(family: family, configuration: json, path: path)
        try self.init(file: file, path: path, architecture: architecture, fromMetadata: true)
    }

    /// The architecture `dpl.architecture` = `family` and `dpl.configuration` = `json` describe.
    static func architecture(family: String, configuration json: String, path: String) throws -> Architecture {
        let data = Data(json.utf8)
        do {
            switch family {
            case "cnn": return .cnn(try JSONDecoder().decode(CNNClassifier.Configuration.self, from: data))
            case "unet": return .unet(try JSONDecoder().decode(UNet.Configuration.self, from: data))
            case "wrn": return .wrn(try JSONDecoder().decode(WideResNet.Configuration.self, from: data))
            case "resnet": return .resnet(try JSONDecoder().decode(ResNet.Configuration.self, from: data))
            case "ncsnpp": return .ncsnpp(try JSONDecoder().decode(NCSNpp.Configuration.self, from: data))
            case "adm": return .adm(try JSONDecoder().decode(ADMUNet.Configuration.self, from: data))
            default: throw ModelFileError(path: path, "names the unknown architecture `\(family)`; known: cnn, unet, wrn, resnet, ncsnpp, adm")
            }
        } catch let error as ModelFileError {
            throw error
        } catch {
            throw ModelFileError(path: path, "has a `dpl.configuration` that does not describe a \(family) model: \(error)")
        }
    }

    private init(file: SafetensorsFile, path: String, architecture: Architecture, fromMetadata: Bool = false) throws {
        // An architecture read from the file is checked before it is built: its sizes, then the
        // weights it implies against those the file holds (a named fallback is the user's
        // choice, and a mismatch is better told tensor by tensor after building).
        try architecture.validate(path: path)
        let held = Self.weightCount(of: file)
        if fromMetadata, architecture.stateElementCount.map({ $0 > held }) ?? true {
            let needs = architecture.stateElementCount.map { "\($0) weights" } ?? "more weights than can be counted"
            throw ModelFileError(path: path, "describes a \(architecture.familyName) model of \(needs), but holds \(held); the `dpl.configuration` does not match the tensors in the file")
        }
        let model = try architecture.makeModel(key: RandomKey(seed: 0, purpose: "init"))
        do {
            try model.loadStateDict(try file.tensors().filter { !$0.name.hasPrefix("optimizer.") })
        } catch {
            throw ModelFileError(path: path, "does not fit its architecture: \(error)")
        }
        self.model = model
        self.architecture = architecture
        self.metadata = file.metadata
        self.path = path
    }

    /// The number of values the file's model tensors hold (optimizer state left out), from the
    /// header alone; the header's shapes were checked against the file's size when it was read.
    private static func weightCount(of file: SafetensorsFile) -> Int {
        var total = 0
        for (name, entry) in file.entries where !name.hasPrefix("optimizer.") {
            let count = entry.shape.reduce(1) { product, dimension in
                let (result, overflow) = product.multipliedReportingOverflow(by: dimension)
                return overflow ? Int.max : result
            }
            let (sum, overflow) = total.addingReportingOverflow(count)
            total = overflow ? Int.max : sum
        }
        return total
    }

    /// Writes `model`'s weights with its architecture and `metadata`, atomically; `extra`
    /// tensors (optimizer state in a checkpoint) are stored after the weights.
    public static func write(_ model: any Module, metadata: [String: String] = [:],
                             extra: [(name: String, tensor: Tensor)] = [], to path: String) throws {
        guard let architecture = Architecture(of: model) else {
            throw ModelFileError(path: path, "cannot record the architecture of this model; only DPL's built-in architectures can be saved")
        }
        var all = metadata
        all[architectureKey] = architecture.familyName
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configuration: Data
        switch architecture {
        case .cnn(let c): configuration = try encoder.encode(c)
        case .unet(let c): configuration = try encoder.encode(c)
        case .wrn(let c): configuration = try encoder.encode(c)
        case .resnet(let c): configuration = try encoder.encode(c)
        case .ncsnpp(let c): configuration = try encoder.encode(c)
        case .adm(let c): configuration = try encoder.encode(c)
        }
        all[configurationKey] = String(decoding: configuration, as: UTF8.self)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write(model.stateDict() + extra, metadata: all, to: URL(fileURLWithPath: path))
    }
}

/// A model file that cannot be used, with the file's path and the reason.
public struct ModelFileError: Error, CustomStringConvertible {
    /// The file.
    public let path: String
    /// What is wrong and how to fix it.
    public let message: String

    init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
