import DPLNN
import FuzzSupport
import Foundation

// Arbitrary bytes as a model file: a safetensors file whose `dpl.architecture` and
// `dpl.configuration` metadata say what to build. The configuration must be validated before
// anything is allocated from it (a 240-byte file once divided by zero or asked for 7.7 GB),
// and then the weights loaded into the model it describes.
runFuzzer { bytes, count in
    let data = fuzzData(bytes, count)
    _ = try? ModelFile(data: data, path: "fuzz.safetensors")
    // A file without DPL metadata, with the smallest architecture named by the user.
    _ = try? ModelFile(data: data, path: "fuzz.safetensors", fallback: .cnn(.small))
    return 0
}
