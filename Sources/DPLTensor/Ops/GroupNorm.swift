import CDPLKernels

// MARK: - Group normalization

extension Tensor {
    /// Group normalization of `[N, C, *]` (as `torch.nn.GroupNorm`): the channels are split into
    /// `groups` consecutive groups, each (sample, group) is normalized by its own mean and
    /// biased variance, then each channel is scaled by `gamma[c]` and shifted by `beta[c]`:
    ///
    ///     y = (x − mean) / sqrt(var + eps) · gamma[c] + beta[c]
    ///
    /// Forward and backward are fused kernels; backward gives gradients for the input, gamma
    /// and beta. Statistics are accumulated in Double in a fixed order, so results are
    /// bit-identical for any thread count.
    /// - Throws: `TensorError` when the input has rank below 2, `groups` does not divide the
    ///   channels, or gamma or beta is not `[C]`.
    public func groupNorm(groups: Int, gamma: Tensor, beta: Tensor, eps: Float = 1e-5) throws -> Tensor {
        try groupNorm(groups: groups, gamma: gamma, beta: beta, eps: eps, thenSiLU: false)
    }

    /// `groupNorm(groups:gamma:beta:eps:)` followed by `silu()`, as one op: the U-Net applies
    /// SiLU after every GroupNorm, and fusing them saves a pass over the activation in each
    /// direction and keeps one tensor fewer on the tape (the normalized values are recomputed
    /// in backward from the input and the saved statistics).
    ///
    /// Every element goes through the same arithmetic as the two ops in sequence, so results
    /// and gradients are bit-identical to `groupNorm(…).silu()` (tested).
    /// - Throws: as `groupNorm(groups:gamma:beta:eps:)`.
    public func groupNormSiLU(groups: Int, gamma: Tensor, beta: Tensor, eps: Float = 1e-5) throws -> Tensor {
        try groupNorm(groups: groups, gamma: gamma, beta: beta, eps: eps, thenSiLU: true)
    }

    private func groupNorm(groups: Int, gamma: Tensor, beta: Tensor, eps: Float, thenSiLU: Bool) throws -> Tensor {
        guard rank >= 2 else {
            throw TensorError("groupNorm", "input must be [N, C, ...] but has shape \(shapeString(shape))")
        }
        let channels = shape[1]
        guard groups >= 1, channels % groups == 0 else {
            throw TensorError("groupNorm", "\(groups) groups do not divide the \(channels) channels of input \(shapeString(shape)); choose a divisor of \(channels)")
        }
        guard gamma.shape == [channels], beta.shape == [channels] else {
            throw TensorError("groupNorm", "gamma and beta must have shape [\(channels)] for input \(shapeString(shape)) but have shapes \(shapeString(gamma.shape)) and \(shapeString(beta.shape))")
        }
        let layout = GroupLayout(batch: shape[0], channels: channels, groups: groups,
                                 spatial: shape.dropFirst(2).reduce(1, *))
        var mean = [Float](repeating: 0, count: layout.batch * groups)
        var inverseDeviation = mean
        // Chosen here, on the calling thread: the workers of `parallelFor` do not see a
        // `VectorISA.with` override.
        let isa = VectorISA.current

        let result = Tensor.uninitialized(shape: shape) { output in
            withUnsafeScalars { x in
                gamma.withUnsafeScalars { g in
                    beta.withUnsafeScalars { b in
                        mean.withUnsafeMutableBufferPointer { meanOut in
                            inverseDeviation.withUnsafeMutableBufferPointer { rstdOut in
                                groupNormForward(layout, eps: eps, thenSiLU: thenSiLU, isa: isa, input: x.baseAddress!, gamma: g.baseAddress!,
                                                 beta: b.baseAddress!, output: output.baseAddress!,
                                                 mean: meanOut.baseAddress!, inverseDeviation: rstdOut.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        let input = self
        return Tensor.record(result, op: thenSiLU ? "groupNormSiLU" : "groupNorm", inputs: [self, gamma, beta]) { gradOutput, needs in
            // groupNormBackward overwrites every buffer it is given.
            let isa = VectorISA.current
            var gradInput: Tensor? = needs[0] ? overwritableTensor(input.shape) : nil
            var gradGamma: Tensor? = needs[1] ? overwritableTensor([channels]) : nil
            var gradBeta: Tensor? = needs[2] ? overwritableTensor([channels]) : nil
            input.withUnsafeScalars { x in
                gamma.withUnsafeScalars { g in
                    gradOutput.withUnsafeScalars { dy in
                        mean.withUnsafeBufferPointer { meanIn in
                            inverseDeviation.withUnsafeBufferPointer { rstdIn in
                                withOptionalMutableScalars(&gradInput) { dx in
                                    withOptionalMutableScalars(&gradGamma) { dgamma in
                                        withOptionalMutableScalars(&gradBeta) { dbeta in
                                            groupNormBackward(layout, throughSiLU: thenSiLU ? beta : nil, isa: isa,
                                                              input: x.baseAddress!, gamma: g.baseAddress!,
                                                              gradOutput: dy.baseAddress!, mean: meanIn.baseAddress!,
                                                              inverseDeviation: rstdIn.baseAddress!,
                                                              gradInput: dx, gradGamma: dgamma, gradBeta: dbeta)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return [gradInput, gradGamma, gradBeta]
        }
    }
}

// MARK: - Layout

/// The sizes of a group-norm call: `[batch, channels, spatial…]` with channels in `groups`.
struct GroupLayout {
    let batch: Int, channels: Int, groups: Int, spatial: Int
    var channelsPerGroup: Int { channels / groups }
    /// Elements normalized together: one (sample, group).
    var groupSize: Int { channelsPerGroup * spatial }
    var sampleSize: Int { channels * spatial }
}

// MARK: - Kernels

/// Normalizes every (sample, group) and applies the per-channel affine map; writes the mean
/// and `1/sqrt(var + eps)` of each (sample, group) for the backward pass.
private func groupNormForward(_ layout: GroupLayout, eps: Float, thenSiLU: Bool, isa: VectorISA, input: UnsafePointer<Float>,
                              gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                              output: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                              inverseDeviation: UnsafeMutablePointer<Float>) {
    let count = layout.batch * layout.groups
    let chunks = chunkRanges(count: count, size: itemsPerChunk(workPerItem: layout.groupSize))
    parallelFor(chunks.count) { chunk in
        for item in chunks[chunk] {
            // Groups are contiguous: sample n, group g starts at (n·C + g·C/G)·spatial = item·groupSize.
            let start = item * layout.groupSize
            let x = input + start, y = output + start
            let groupMean = sumInDouble(x, layout.groupSize, isa: isa) / Double(max(1, layout.groupSize))
            let variance = sumOfSquaresInDouble(x, layout.groupSize, centeredAt: groupMean, isa: isa) / Double(max(1, layout.groupSize))
            let rstd = Float(1 / (variance + Double(eps)).squareRoot())
            let m = Float(groupMean)
            mean[item] = m
            inverseDeviation[item] = rstd
            let firstChannel = (item % layout.groups) * layout.channelsPerGroup
            for c in 0..<layout.channelsPerGroup {
                let scale = rstd * gamma[firstChannel + c], shift = beta[firstChannel + c]
                let offset = c * layout.spatial
                if isa == .avx512 {
                    // The next group's plane is prefetched while this one computes (a hint only).
                    let upcoming = item + 1 < count ? x + layout.groupSize + offset : nil
                    if thenSiLU {
                        dpl_normalize_silu_avx512(x + offset, y + offset, layout.spatial, m, scale, shift, upcoming)
                    } else {
                        dpl_normalize_avx512(x + offset, y + offset, layout.spatial, m, scale, shift, upcoming)
                    }
                } else if thenSiLU {
                    normalizeThenSiLU(x + offset, into: y + offset, count: layout.spatial, mean: m, scale: scale, shift: shift)
                } else {
                    for i in offset..<(offset + layout.spatial) { y[i] = (x[i] - m) * scale + shift }
                }
            }
        }
    }
}

/// The gradients of group norm. With x̂ = (x − mean)·rstd and ĝ = dy·gamma[c], per group:
///
///     dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)),   dgamma[c] = Σ dy·x̂,   dbeta[c] = Σ dy
///
/// Nil outputs are skipped. dgamma and dbeta are summed per sample first, then over samples
/// in order, so the result does not depend on the thread count.
private func groupNormBackward(_ layout: GroupLayout, throughSiLU silu: Tensor?, isa: VectorISA,
                               input: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                               gradOutput: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                               inverseDeviation: UnsafePointer<Float>,
                               gradInput: UnsafeMutablePointer<Float>?,
                               gradGamma: UnsafeMutablePointer<Float>?, gradBeta: UnsafeMutablePointer<Float>?) {
    let count = layout.batch * layout.groups
    let chunks = chunkRanges(count: count, size: itemsPerChunk(workPerItem: layout.groupSize))
    let needsAffine = gradGamma != nil || gradBeta != nil
    // Per-(sample, channel) sums of dy·x̂ and dy, reduced over samples afterwards.
    let perSample = needsAffine ? UnsafeMutablePointer<Float>.allocate(capacity: 2 * layout.batch * layout.channels) : nil
    defer { perSample?.deallocate() }

    parallelFor(chunks.count) { chunk in
        // With SiLU fused, the gradient at the normalized values is formed per group in this
        // scratch (one group is a few kB, so it stays in cache for the two passes below).
        let siluGradient = silu == nil ? nil : UnsafeMutablePointer<Float>.allocate(capacity: layout.groupSize)
        defer { siluGradient?.deallocate() }
        for item in chunks[chunk] {
            let start = item * layout.groupSize
            let x = input + start
            let m = mean[item], rstd = inverseDeviation[item]
            let firstChannel = (item % layout.groups) * layout.channelsPerGroup
            var dy = gradOutput + start
            if let silu, let siluGradient {
                silu.withUnsafeScalars { beta in
                    for c in 0..<layout.channelsPerGroup {
                        let offset = c * layout.spatial
                        let scale = rstd * gamma[firstChannel + c], shift = beta[firstChannel + c]
                        if isa == .avx512 {
                            dpl_silu_backward_at_normalized_avx512(x + offset, dy + offset, siluGradient + offset,
                                                                   layout.spatial, m, scale, shift)
                        } else {
                            siluBackwardAtNormalized(x + offset, gradOutput: dy + offset, into: siluGradient + offset,
                                                     count: layout.spatial, mean: m, scale: scale, shift: shift)
                        }
                    }
                }
                dy = UnsafePointer(siluGradient)
            }
            var sumG = 0.0, sumGX = 0.0
            for c in 0..<layout.channelsPerGroup {
                let channel = firstChannel + c
                let offset = c * layout.spatial
                let (sumDy, sumDyX) = gradientSums(dy + offset, x + offset, layout.spatial, mean: m, inverseDeviation: rstd, isa: isa)
                if let perSample {
                    let n = item / layout.groups
                    perSample[n * layout.channels + channel] = Float(sumDyX)
                    perSample[(layout.batch + n) * layout.channels + channel] = Float(sumDy)
                }
                sumG += sumDy * Double(gamma[channel])
                sumGX += sumDyX * Double(gamma[channel])
            }
            guard let gradInput else { continue }
            let size = Double(max(1, layout.groupSize))
            let meanG = Float(sumG / size), meanGX = Float(sumGX / size)
            let dx = gradInput + start
            for c in 0..<layout.channelsPerGroup {
                let g = gamma[firstChannel + c]
                let offset = c * layout.spatial
                if isa == .avx512 {
                    dpl_group_norm_input_gradient_avx512(dy + offset, x + offset, dx + offset, layout.spatial,
                                                         m, rstd, g, meanG, meanGX)
                    continue
                }
                for i in offset..<(offset + layout.spatial) {
                    let normalized = (x[i] - m) * rstd
                    dx[i] = rstd * (dy[i] * g - meanG - normalized * meanGX)
                }
            }
        }
    }
    guard let perSample else { return }
    if let gradGamma {
        sumPartials(perSample, count: layout.batch, size: layout.channels, into: gradGamma)
    }
    if let gradBeta {
        sumPartials(perSample + layout.batch * layout.channels, count: layout.batch, size: layout.channels, into: gradBeta)
    }
}

// MARK: - The fused SiLU
// Lane for lane the arithmetic of `groupNorm` then `silu` (Activations.swift): the normalized
// value v = (x − mean)·scale + shift rounded to Float, then v·σ(v) forward and
// G·σ(v)·(1 + v·(1 − σ(v))) backward. A tail shorter than eight is padded into a full vector
// as in `vectorMap`, so the bits match the unfused ops.

/// `y = SiLU((x − mean)·scale + shift)` over one channel plane. Kept out of line and with the
/// tail separate from the main loop: a loop that branches per vector between a full and a
/// partial load was compiled to spills and scalar code, and cost twice the unfused SiLU.
@inline(never)
private func normalizeThenSiLU(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int,
                               mean: Float, scale: Float, shift: Float) {
    @inline(__always) func lanes(_ xv: SIMD8<Float>) -> SIMD8<Float> {
        let v = (xv - mean) * scale + shift
        return v * vectorLogistic(v)
    }
    var i = 0
    while i + 8 <= count {
        let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: lanes(xv), as: SIMD8<Float>.self)
        i += 8
    }
    if i < count { store8(lanes(load8(x + i, count: count - i)), y + i, count: count - i) }
}

/// The gradient at the normalized values of one channel plane, given the gradient at SiLU's
/// output: `G·σ(v)·(1 + v·(1 − σ(v)))` with v recomputed as the forward pass computed it.
@inline(never)
private func siluBackwardAtNormalized(_ x: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                                      into result: UnsafeMutablePointer<Float>, count: Int,
                                      mean: Float, scale: Float, shift: Float) {
    @inline(__always) func lanes(_ xv: SIMD8<Float>, _ gv: SIMD8<Float>) -> SIMD8<Float> {
        let v = (xv - mean) * scale + shift
        let s = vectorLogistic(v)
        return gv * s * (1 + v * (1 - s))
    }
    var i = 0
    while i + 8 <= count {
        let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        let gv = UnsafeRawPointer(gradOutput + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(result + i).storeBytes(of: lanes(xv, gv), as: SIMD8<Float>.self)
        i += 8
    }
    if i < count {
        store8(lanes(load8(x + i, count: count - i), load8(gradOutput + i, count: count - i)),
               result + i, count: count - i)
    }
}

// MARK: - Sums in Double over eight lanes
// The statistics are accumulated in Double for accuracy; eight independent lanes (combined in
// a fixed tree, then the tail in order) let the loop vectorize instead of waiting on one
// serial chain of additions. The order depends only on the length, so results do not depend
// on the thread count or the batch.

/// The eight lanes of `v` added in a fixed tree.
@inline(__always)
private func laneTotal(_ v: SIMD8<Double>) -> Double {
    ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}

@inline(__always)
private func loadDouble8(_ p: UnsafePointer<Float>) -> SIMD8<Double> {
    SIMD8<Double>(UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self))
}

/// Σ x[i] in Double.
private func sumInDouble(_ x: UnsafePointer<Float>, _ count: Int, isa: VectorISA) -> Double {
    if isa == .avx512 { return dpl_sum_in_double_avx512(x, count) }
    var lanes = SIMD8<Double>()
    var i = 0
    while i + 8 <= count { lanes += loadDouble8(x + i); i += 8 }
    var total = laneTotal(lanes)
    while i < count { total += Double(x[i]); i += 1 }
    return total
}

/// Σ (x[i] − center)² in Double.
private func sumOfSquaresInDouble(_ x: UnsafePointer<Float>, _ count: Int, centeredAt center: Double,
                                  isa: VectorISA) -> Double {
    if isa == .avx512 { return dpl_sum_of_squares_in_double_avx512(x, count, center) }
    var lanes = SIMD8<Double>()
    var i = 0
    while i + 8 <= count {
        let centered = loadDouble8(x + i) - center
        lanes += centered * centered
        i += 8
    }
    var total = laneTotal(lanes)
    while i < count {
        let centered = Double(x[i]) - center
        total += centered * centered
        i += 1
    }
    return total
}

/// (Σ dy[i], Σ dy[i]·x̂[i]) in Double, with x̂ = (x − mean)·rstd computed in Float as the
/// forward pass does.
private func gradientSums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int,
                          mean: Float, inverseDeviation rstd: Float, isa: VectorISA) -> (Double, Double) {
    if isa == .avx512 {
        var sumDy = 0.0, sumDyX = 0.0
        dpl_group_norm_gradient_sums_avx512(dy, x, count, mean, rstd, &sumDy, &sumDyX)
        return (sumDy, sumDyX)
    }
    var sumLanes = SIMD8<Double>(), productLanes = SIMD8<Double>()
    var i = 0
    while i + 8 <= count {
        let g = loadDouble8(dy + i)
        let normalized = (UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - mean) * rstd
        sumLanes += g
        productLanes += g * SIMD8<Double>(normalized)
        i += 8
    }
    var sumDy = laneTotal(sumLanes), sumDyX = laneTotal(productLanes)
    while i < count {
        let g = Double(dy[i])
        sumDy += g
        sumDyX += g * Double((x[i] - mean) * rstd)
        i += 1
    }
    return (sumDy, sumDyX)
}
