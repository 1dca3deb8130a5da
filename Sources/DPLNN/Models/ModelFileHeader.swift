import Foundation

/// What a model file says about itself in its header alone — for `dpl check`, which must not
/// load gigabytes of weights to learn that a model takes 28×28 images.
extension ModelFile {
    /// Headers larger than this are not read at check time (DPL's own are a few KB; a
    /// safetensors header lists every tensor, and ADM's 500 tensors take ~60 KB).
    public static let checkHeaderLimit = 16 << 20

    /// The architecture in the `dpl.architecture`/`dpl.configuration` metadata of the
    /// safetensors file at `path`, reading only its header; nil when the file has no DPL
    /// metadata (weights saved from PyTorch), is not safetensors, or its header is too large
    /// to read here — the run reads the file and reports any problem then.
    /// - Throws: `ModelFileError` when the metadata is there but does not decode.
    public static func architecture(inHeaderOf path: String) throws -> Architecture? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let lengthBytes = try handle.read(upToCount: 8), lengthBytes.count == 8 else { return nil }
        let length = lengthBytes.reduce(UInt64(0)) { $0 >> 8 | UInt64($1) << 56 }
        guard length <= UInt64(checkHeaderLimit), let header = try handle.read(upToCount: Int(length)), header.count == Int(length),
              case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: header),
              case .object(let metadata)? = fields["__metadata__"],
              case .string(let family)? = metadata[architectureKey], case .string(let json)? = metadata[configurationKey] else { return nil }
        return try architecture(family: family, configuration: json, path: path)
    }
}

extension Architecture {
    /// The images a classifier takes: channels, and the side length when it needs one size
    /// (a fully connected head after fixed pooling); nil for a noise model.
    public var classifierInput: (channels: Int, size: Int?)? {
        switch self {
        case .cnn(let c): return (c.inputChannels, c.imageSize)
        case .wrn(let c): return (c.inputChannels, c.imageSize)
        case .resnet(let c): return (c.inputChannels, nil)
        case .unet, .ncsnpp, .adm: return nil
        }
    }
}
