import DPLTensor

/// The residual block of DDPM's U-Net, without dropout or attention:
///
///     h = conv1(SiLU(norm1(x))) + time_proj(SiLU(temb))[:, :, None, None]
///     h = conv2(SiLU(norm2(h)))
///     return skip(x) + h          // skip is a 1×1 conv when the width changes, else identity
public final class ResidualBlock: Module {
    let norm1: GroupNorm
    let conv1: Conv2d
    let timeProjection: Linear
    let norm2: GroupNorm
    let conv2: Conv2d
    let skip: Conv2d?

    /// A block from `inChannels` to `outChannels` conditioned on a `timeWidth`-wide embedding.
    init(inChannels: Int, outChannels: Int, timeWidth: Int, groups: Int, key: RandomKey) throws {
        norm1 = try GroupNorm(groups: groups, channels: inChannels)
        conv1 = try Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1,
                           key: key.forPurpose(RandomPurpose(key.purpose.name + ".conv1")))
        timeProjection = try Linear(inFeatures: timeWidth, outFeatures: outChannels,
                                    key: key.forPurpose(RandomPurpose(key.purpose.name + ".time_proj")))
        norm2 = try GroupNorm(groups: groups, channels: outChannels)
        conv2 = try Conv2d(inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1,
                           key: key.forPurpose(RandomPurpose(key.purpose.name + ".conv2")))
        skip = inChannels == outChannels ? nil
            : try Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 1,
                         key: key.forPurpose(RandomPurpose(key.purpose.name + ".skip")))
    }

    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = [
            ("norm1", norm1), ("conv1", conv1), ("time_proj", timeProjection), ("norm2", norm2), ("conv2", conv2),
        ]
        if let skip { list.append(("skip", skip)) }
        return list
    }

    /// `x [N, Cin, H, W]`, `activatedTime` = SiLU(temb) `[N, timeWidth]` → `[N, Cout, H, W]`.
    func callAsFunction(_ x: Tensor, activatedTime: Tensor) throws -> Tensor {
        // conv1's output plus the time projection, per sample and channel, in one op.
        let h = try conv1(norm1.thenSiLU(x), addingPerSample: timeProjection(activatedTime))
        // The skip path added inside conv2 (fused: the same bits as `skip + conv2(…)`).
        return try conv2(norm2.thenSiLU(h), addingResidual: skip.map { try $0(x) } ?? x)
    }
}
