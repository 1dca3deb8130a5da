import DPLTensor

/// How far a tensor computed by DPL is from the one a PyTorch twin computed:
/// max |got − expected| / max |expected|, infinite when the shapes differ. Twin tests state
/// their tolerance in this measure (docs/models.md, docs/purification.md).
public func relativeError(_ got: Tensor, _ expected: Tensor) -> Float {
    guard got.shape == expected.shape else { return .infinity }
    let scale = expected.scalars.map(abs).max() ?? 0
    let worst = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
    return worst / scale
}
