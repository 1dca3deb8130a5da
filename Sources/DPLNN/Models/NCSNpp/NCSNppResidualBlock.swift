import Foundation
import DPLTensor

/// NCSN++'s BigGAN-style residual block (score_sde/models/layerspp.py, `ResnetBlockBigGANpp`),
/// with FIR resampling off as DiffPure's CIFAR-10 model has it (`fir: False`):
///
///     h = SiLU(GroupNorm_0(x))
///     up:   h, x = nearest×2(h), nearest×2(x)        (`naive_upsample_2d`)
///     down: h, x = avgpool2(h), avgpool2(x)          (`naive_downsample_2d`)
///     h = Conv_0(h) + Dense_0(SiLU(temb))[:, :, None, None]
///     h = Conv_1(SiLU(GroupNorm_1(h)))               (dropout sits here; off in evaluation)
///     x = Conv_2(x)  when the width changes or the block resamples (1×1)
///     return (x + h) / √2  with skip_rescale, else x + h
///
/// GroupNorms have min(C/4, 32) groups and eps 1e-6, as upstream.
public final class NCSNppResidualBlock: Module {
    /// Whether the block doubles or halves the resolution.
    public enum Resampling: Sendable { case none, up, down }

    let groupNorm0: GroupNorm
    let conv0: Conv2d
    let dense0: Linear
    let groupNorm1: GroupNorm
    let conv1: Conv2d
    let conv2: Conv2d?
    let resampling: Resampling
    let skipRescale: Bool

    /// A block from `inChannels` to `outChannels`, conditioned on a `timeWidth`-wide embedding.
    /// - Throws: `TensorError` when a width is not divisible by its GroupNorm's group count.
    init(inChannels: Int, outChannels: Int, timeWidth: Int, resampling: Resampling = .none,
         skipRescale: Bool, key: RandomKey) throws {
        func k(_ name: String) -> RandomKey { key.forPurpose(RandomPurpose(key.purpose.name + "." + name)) }
        groupNorm0 = try GroupNorm(groups: ncsnppGroups(inChannels), channels: inChannels, eps: 1e-6)
        conv0 = try Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1, key: k("Conv_0"))
        dense0 = try Linear(inFeatures: timeWidth, outFeatures: outChannels, key: k("Dense_0"))
        groupNorm1 = try GroupNorm(groups: ncsnppGroups(outChannels), channels: outChannels, eps: 1e-6)
        conv1 = try Conv2d(inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1, key: k("Conv_1"))
        conv2 = inChannels != outChannels || resampling != .none
            ? try Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 1, key: k("Conv_2"))
            : nil
        self.resampling = resampling
        self.skipRescale = skipRescale
    }

    /// Upstream's registration order, which is also its `parameters()` order.
    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = [
            ("GroupNorm_0", groupNorm0), ("Conv_0", conv0), ("Dense_0", dense0), ("GroupNorm_1", groupNorm1), ("Conv_1", conv1),
        ]
        if let conv2 { list.append(("Conv_2", conv2)) }
        return list
    }

    /// `x [N, Cin, H, W]`, `activatedTime` = SiLU(temb) `[N, timeWidth]` → `[N, Cout, H', W']`.
    func callAsFunction(_ x: Tensor, activatedTime: Tensor) throws -> Tensor {
        var h = try groupNorm0(x).silu()
        var skip = x
        switch resampling {
        case .none: break
        case .up:
            h = try h.upsampleNearest(scale: 2)
            skip = try skip.upsampleNearest(scale: 2)
        case .down:
            h = try h.avgPool2d(kernel: 2)
            skip = try skip.avgPool2d(kernel: 2)
        }
        h = try conv0(h)
        let t = try dense0(activatedTime)
        h = try h + t.reshaped([t.shape[0], t.shape[1], 1, 1])
        h = try conv1(groupNorm1(h).silu())
        if let conv2 { skip = try conv2(skip) }
        let sum = try skip + h
        return skipRescale ? sum * Float(1 / 2.0.squareRoot()) : sum
    }
}

/// score_sde's group count for a GroupNorm over `channels`: min(channels / 4, 32).
func ncsnppGroups(_ channels: Int) -> Int { max(1, min(channels / 4, 32)) }
