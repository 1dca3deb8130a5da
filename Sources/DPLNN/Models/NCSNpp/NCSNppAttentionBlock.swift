import Foundation
import DPLTensor

/// NCSN++'s self-attention over pixels (score_sde/models/layerspp.py, `AttnBlockpp`), one head:
///
///     h = GroupNorm_0(x);  q, k, v = NIN_0(h), NIN_1(h), NIN_2(h)
///     w[n, p, p'] = softmax_p'( Σ_c q[n, c, p] k[n, c, p'] / √C )      (p, p' pixels)
///     h[n, c, p] = Σ_p' w[n, p, p'] v[n, c, p']
///     return (x + NIN_3(h)) / √2  with skip_rescale, else x + NIN_3(h)
///
/// Composed from differentiable ops (matrix products per image, softmax), so its backward
/// pass is theirs.
public final class NCSNppAttentionBlock: Module {
    let groupNorm0: GroupNorm
    let nin: [NIN]   // NIN_0 … NIN_3: query, key, value, output
    let skipRescale: Bool

    /// A block over `channels` channels.
    /// - Throws: `TensorError` when `channels` is not divisible by its GroupNorm's group count.
    init(channels: Int, skipRescale: Bool, key: RandomKey) throws {
        groupNorm0 = try GroupNorm(groups: ncsnppGroups(channels), channels: channels, eps: 1e-6)
        nin = try (0..<4).map { index in
            try NIN(inChannels: channels, outChannels: channels,
                    key: key.forPurpose(RandomPurpose(key.purpose.name + ".NIN_\(index)")))
        }
        self.skipRescale = skipRescale
    }

    public var children: [(name: String, module: any Module)] {
        [("GroupNorm_0", groupNorm0)] + nin.enumerated().map { ("NIN_\($0.offset)", $0.element as any Module) }
    }

    /// `[N, C, H, W] → [N, C, H, W]`.
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 else {
            throw TensorError("attention", "input must be [N, C, H, W] but has shape \(shapeString(x.shape))")
        }
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let pixels = height * width
        let h = try groupNorm0(x)
        let q = try nin[0](h), k = try nin[1](h), v = try nin[2](h)
        let scale = Float(1 / Double(channels).squareRoot())
        var rows: [Tensor] = []
        rows.reserveCapacity(batch)
        for n in 0..<batch {
            func image(_ t: Tensor) throws -> Tensor { try t.slice(axis: 0, range: n..<(n + 1)).reshaped([channels, pixels]) }
            let (qn, kn, vn) = (try image(q), try image(k), try image(v))
            // [P, C]·[C, P]: every pixel's query against every pixel's key.
            let logits = try Tensor.matmul(qn, kn, transposeA: true, transposeB: false) * scale
            let weights = try logits.softmax(axis: 1)
            // [C, P']·[P', P]ᵀ: each pixel's weighted sum of the values.
            rows.append(try Tensor.matmul(vn, weights, transposeA: false, transposeB: true).reshaped([1, channels, height, width]))
        }
        let attended = try nin[3](Tensor.concat(rows, axis: 0))
        let sum = try x + attended
        return skipRescale ? sum * Float(1 / 2.0.squareRoot()) : sum
    }
}
