import DPLNN
import FuzzSupport
import Foundation

// Arbitrary bytes as a safetensors file: the header (length, JSON, dtypes, shapes, offsets)
// and then every tensor it declares, converted to Float. Malformed files must be refused
// with an error; nothing may crash or allocate beyond what the bytes hold.
runFuzzer { bytes, count in
    let data = fuzzData(bytes, count)
    guard let file = try? SafetensorsFile(data: data, fileName: "fuzz.safetensors") else { return 0 }
    _ = file.metadata
    for name in file.entries.keys.sorted() {
        _ = try? file.tensor(named: name)
    }
    _ = try? file.tensors()
    return 0
}
