import Foundation
import DPLTensor

/// The sinusoidal timestep embedding of DDPM (Ho et al. 2020, after the Transformer's):
/// for `dim = 2h`, `emb[i] = sin(t·f_i)` and `emb[h+i] = cos(t·f_i)` with
/// `f_i = exp(−ln(10000)·i/(h−1))`. It is a constant of the input, so it records no gradient.
/// - Throws: `TensorError` when `dim` is odd or smaller than 4.
public func sinusoidalEmbedding(timesteps: [Float], dim: Int) throws -> Tensor {
    guard dim >= 4, dim % 2 == 0 else {
        throw TensorError("time embedding", "the embedding width must be an even number of at least 4; got \(dim)")
    }
    let half = dim / 2
    let scale = -log(10000.0) / Double(half - 1)
    let frequencies = (0..<half).map { exp(Double($0) * scale) }
    var scalars = [Float](repeating: 0, count: timesteps.count * dim)
    for (n, t) in timesteps.enumerated() {
        for i in 0..<half {
            let angle = Double(t) * frequencies[i]
            scalars[n * dim + i] = Float(sin(angle))
            scalars[n * dim + half + i] = Float(cos(angle))
        }
    }
    return try Tensor(shape: [timesteps.count, dim], scalars: scalars)
}
