import DPLTensor

/// The colour types of the PNG specification (IHDR byte 9).
public enum PNGColorType: UInt8, Sendable {
    /// Grayscale, bit depth 1, 2, 4, 8 or 16.
    case gray = 0
    /// Red, green, blue, bit depth 8 or 16.
    case rgb = 2
    /// Indices into a `PLTE` palette of RGB entries, bit depth 1, 2, 4 or 8.
    case palette = 3
    /// Grayscale and alpha, bit depth 8 or 16.
    case grayAlpha = 4
    /// Red, green, blue and alpha, bit depth 8 or 16.
    case rgba = 6

    /// Samples stored per pixel in the image data.
    var samplesPerPixel: Int {
        switch self {
        case .gray, .palette: return 1
        case .grayAlpha: return 2
        case .rgb: return 3
        case .rgba: return 4
        }
    }

    /// The bit depths the specification allows for this colour type.
    var allowedBitDepths: [Int] {
        switch self {
        case .gray: return [1, 2, 4, 8, 16]
        case .palette: return [1, 2, 4, 8]
        case .rgb, .grayAlpha, .rgba: return [8, 16]
        }
    }

    /// Colour channels after decoding: alpha is dropped and palettes expand to RGB.
    var decodedChannels: Int {
        switch self {
        case .gray, .grayAlpha: return 1
        case .rgb, .rgba, .palette: return 3
        }
    }
}

/// A decoded PNG image: colour channels only, as float planes in [0, 1].
///
/// DPL models see opaque images, so decoding drops the alpha channel (the colour values are
/// kept as stored, not composited over a background) and expands palette images to RGB.
/// Gray and gray+alpha files give 1 channel, RGB, RGBA and palette files give 3.
public struct PNGImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// 1 (gray) or 3 (RGB).
    public let channels: Int
    /// Channel-major samples `[channels, height, width]` in [0, 1]: sample / (2^bitDepth − 1).
    public let pixels: [Float]
    /// How the file stored the image.
    public let colorType: PNGColorType
    /// Bits per sample (per palette index for palette images) in the file.
    public let bitDepth: Int

    /// The image as a tensor `[channels, height, width]`.
    public var tensor: Tensor {
        Tensor.uninitialized(shape: [channels, height, width]) { target in
            for index in 0..<pixels.count { target[index] = pixels[index] }
        }
    }

    /// `[channels, height, width]`, as error messages show sizes.
    public var shapeDescription: String { shapeString([channels, height, width]) }
}
