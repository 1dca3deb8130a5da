import DPLTensor

/// guided-diffusion's `ResBlock` (guided_diffusion/unet.py) with scale-shift conditioning
/// (`use_scale_shift_norm`) and residual resampling (`resblock_updown`), as DiffPure's
/// ImageNet model has them; dropout 0:
///
///     h = SiLU(in_layers.0(x));  up/down: h, x = nearest×2 / avgpool2 of both
///     h = in_layers.2(h)
///     scale, shift = chunk(emb_layers.1(SiLU(emb)), 2)
///     h = out_layers.3(SiLU(out_layers.0(h) · (1 + scale) + shift))
///     return skip_connection(x) + h          (a 1×1 conv when the width changes)
///
/// GroupNorms have 32 groups and eps 1e-5 (`normalization`, `GroupNorm32`).
public final class ADMResidualBlock: Module {
    let inNorm: GroupNorm
    let inConv: Conv2d
    let embedding: Linear
    let outNorm: GroupNorm
    let outConv: Conv2d
    let skip: Conv2d?
    let resampling: NCSNppResidualBlock.Resampling
    let outChannels: Int

    init(inChannels: Int, outChannels: Int, embeddingWidth: Int, resampling: NCSNppResidualBlock.Resampling = .none,
         key: RandomKey) throws {
        func k(_ name: String) -> RandomKey { key.forPurpose(RandomPurpose(key.purpose.name + "." + name)) }
        inNorm = try GroupNorm(groups: 32, channels: inChannels)
        inConv = try Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1, key: k("in_layers.2"))
        embedding = try Linear(inFeatures: embeddingWidth, outFeatures: 2 * outChannels, key: k("emb_layers.1"))
        outNorm = try GroupNorm(groups: 32, channels: outChannels)
        outConv = try Conv2d(inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1, key: k("out_layers.3"))
        skip = inChannels == outChannels ? nil
            : try Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 1, key: k("skip_connection"))
        self.resampling = resampling
        self.outChannels = outChannels
    }

    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = [
            ("in_layers.0", inNorm), ("in_layers.2", inConv), ("emb_layers.1", embedding),
            ("out_layers.0", outNorm), ("out_layers.3", outConv),
        ]
        if let skip { list.append(("skip_connection", skip)) }
        return list
    }

    /// `x [N, Cin, H, W]`, `activatedEmbedding` = SiLU(emb) → `[N, Cout, H', W']`.
    func callAsFunction(_ x: Tensor, activatedEmbedding: Tensor) throws -> Tensor {
        var h = try inNorm(x).silu()
        var input = x
        switch resampling {
        case .none: break
        case .up:
            h = try h.upsampleNearest(scale: 2)
            input = try input.upsampleNearest(scale: 2)
        case .down:
            h = try h.avgPool2d(kernel: 2)
            input = try input.avgPool2d(kernel: 2)
        }
        h = try inConv(h)
        let e = try embedding(activatedEmbedding)
        let n = e.shape[0]
        let scale = try e.slice(axis: 1, range: 0..<outChannels).reshaped([n, outChannels, 1, 1])
        let shift = try e.slice(axis: 1, range: outChannels..<(2 * outChannels)).reshaped([n, outChannels, 1, 1])
        h = try outNorm(h) * (scale + 1) + shift
        h = try outConv(h.silu())
        return try (skip.map { try $0(input) } ?? input) + h
    }
}
