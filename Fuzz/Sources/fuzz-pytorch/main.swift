import DPLNN
import DPLTensor
import FuzzSupport
import Foundation

// Arbitrary bytes as a `torch.save` checkpoint: zip or zip64 archive, or the legacy format,
// then the restricted unpickler, the state_dict search (with and without a key) and every
// tensor it references; then loading into a small model, as `model "x.pt" arch=cnn-small`.
let model: any Module = withoutLeakChecks {
    do { return try Architecture.cnn(.small).makeModel(key: RandomKey(seed: 0, purpose: "init")) }
    catch { fuzzPropertyFailed("cnn-small cannot be built: \(error)") }
}
let parameterNames = model.namedParameters().map(\.name)

runFuzzer { bytes, count in
    let data = fuzzData(bytes, count)
    guard let checkpoint = try? TorchCheckpoint(data: data, fileName: "fuzz.pt") else { return 0 }
    for key in [nil, "model", "state_dict", "ema"] as [String?] {
        guard let entries = try? checkpoint.selectStateDict(key: key, parameterNames: parameterNames) else { continue }
        for entry in entries.prefix(64) {
            _ = try? checkpoint.tensor(entry.tensor, name: entry.name)
        }
    }
    _ = try? model.loadTorchCheckpoint(checkpoint, key: nil)
    return 0
}
