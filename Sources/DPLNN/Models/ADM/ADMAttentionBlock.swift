import Foundation
import DPLTensor

/// guided-diffusion's `AttentionBlock` with `QKVAttentionLegacy` (guided_diffusion/unet.py):
/// heads of `headChannels` channels each; per head the rows of `qkv` are q, k, v in turn.
///
///     qkv = qkv(norm(x))                      [N, 3C, T], T = H·W
///     w[t, s] = softmax_s( Σ_c q[c, t] k[c, s] / √ch )   per head
///     h[c, t] = Σ_s w[t, s] v[c, s]
///     return x + proj_out(h)
public final class ADMAttentionBlock: Module {
    let norm: GroupNorm
    let qkv: PointwiseConv1d
    let projection: PointwiseConv1d
    let heads: Int

    /// - Throws: `TensorError` when `channels` is not a multiple of `headChannels` or of 32.
    init(channels: Int, headChannels: Int, key: RandomKey) throws {
        guard headChannels > 0, channels % headChannels == 0 else {
            throw TensorError("attention", "\(channels) channels do not split into heads of \(headChannels)")
        }
        norm = try GroupNorm(groups: 32, channels: channels)
        qkv = try PointwiseConv1d(inChannels: channels, outChannels: 3 * channels, key: key.forPurpose(RandomPurpose(key.purpose.name + ".qkv")))
        projection = try PointwiseConv1d(inChannels: channels, outChannels: channels, key: key.forPurpose(RandomPurpose(key.purpose.name + ".proj_out")))
        heads = channels / headChannels
    }

    public var children: [(name: String, module: any Module)] { [("norm", norm), ("qkv", qkv), ("proj_out", projection)] }

    /// `[N, C, H, W] → [N, C, H, W]`.
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 else {
            throw TensorError("attention", "input must be [N, C, H, W] but has shape \(shapeString(x.shape))")
        }
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let length = height * width
        let ch = channels / heads
        let flat = try x.reshaped([batch, channels, length])
        let normed = try norm(flat)
        let projected = try qkv(normed)
        let scale = Float(1 / Double(ch).squareRoot())
        var rows: [Tensor] = []
        for n in 0..<batch {
            let image = try projected.slice(axis: 0, range: n..<(n + 1)).reshaped([3 * channels, length])
            var headsOut: [Tensor] = []
            for head in 0..<heads {
                let base = head * 3 * ch
                let q = try image.slice(axis: 0, range: base..<(base + ch))
                let k = try image.slice(axis: 0, range: (base + ch)..<(base + 2 * ch))
                let v = try image.slice(axis: 0, range: (base + 2 * ch)..<(base + 3 * ch))
                let weights = try (Tensor.matmul(q, k, transposeA: true, transposeB: false) * scale).softmax(axis: 1)
                headsOut.append(try Tensor.matmul(v, weights, transposeA: false, transposeB: true))
            }
            rows.append(try Tensor.concat(headsOut, axis: 0).reshaped([1, channels, length]))
        }
        let h = try projection(Tensor.concat(rows, axis: 0))
        return try (flat + h).reshaped([batch, channels, height, width])
    }
}
