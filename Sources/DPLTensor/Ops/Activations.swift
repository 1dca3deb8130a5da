import CDPLKernels
import Foundation

// MARK: - Activations
// Pointwise nonlinearities of the U-Net and classifiers, each with its derivative. `tanh` is a
// free function overloading the libm one (see Elementwise.swift for why); the others are
// methods because no global function shares their names.

extension Tensor {
    /// `max(x, 0)` elementwise. Backward: `G` where `x > 0`, else 0 (0 at the kink).
    /// On AVX-512 a C loop (include/activations.h) gives the same bits: the scalar closure
    /// was ~6% of the CNN's training step.
    public func relu() -> Tensor {
        let input = detached()
        let result = VectorISA.current == .avx512
            ? mapChunks { dpl_relu_avx512($0, $1, $2) }
            : mapScalars { $0 > 0 ? $0 : 0 }
        return Tensor.record(result, op: "relu", inputs: [self]) { g, _ in
            if VectorISA.current == .avx512 {
                return [g.zipChunks(input) { dpl_relu_backward_avx512($0, $1, $2, $3) }]
            }
            return [g.zipScalars(input) { gv, x in x > 0 ? gv : 0 }]
        }
    }

    /// The logistic function `1 / (1 + e⁻ˣ)`, computed without overflow for large `|x|`.
    /// Backward: `G·y·(1 − y)`.
    public func sigmoid() -> Tensor {
        let result = VectorISA.current == .avx512
            ? mapChunks { dpl_logistic_avx512($0, $1, $2) }
            : mapVectors(vectorLogistic)
        return Tensor.record(result, op: "sigmoid", inputs: [self]) { g, _ in
            if VectorISA.current == .avx512 {
                return [g.zipChunks(result) { dpl_logistic_backward_avx512($0, $1, $2, $3) }]
            }
            return [g.zipVectors(result) { gv, y in gv * y * (1 - y) }]
        }
    }

    /// SiLU (swish), `x·σ(x)`. Backward: `G·σ(x)·(1 + x·(1 − σ(x)))`.
    ///
    /// σ uses the engine's vectorized exponential (Kernels/FastMath.swift, within 2 ulp of
    /// `expf`): SiLU runs on every U-Net activation and backward recomputes σ. On AVX-512
    /// the same arithmetic runs 16 lanes wide in C (include/activations.h), bit for bit.
    public func silu() -> Tensor {
        let input = detached()
        let result = VectorISA.current == .avx512
            ? mapChunks { dpl_silu_avx512($0, $1, $2) }
            : mapVectors { $0 * vectorLogistic($0) }
        return Tensor.record(result, op: "silu", inputs: [self]) { g, _ in
            if VectorISA.current == .avx512 {
                return [g.zipChunks(input) { dpl_silu_backward_avx512($0, $1, $2, $3) }]
            }
            return [g.zipVectors(input) { gv, x in
                let s = vectorLogistic(x)
                return gv * s * (1 + x * (1 - s))
            }]
        }
    }

    /// GELU in its exact form `x·Φ(x) = x/2·(1 + erf(x/√2))`, PyTorch's default (not the
    /// tanh approximation). Backward: `G·(Φ(x) + x·φ(x))` with φ the standard normal density.
    public func gelu() -> Tensor {
        let input = detached()
        return Tensor.record(mapScalars { $0 * normalCDF($0) }, op: "gelu", inputs: [self]) { g, _ in
            [g.zipScalars(input) { gv, x in
                gv * (normalCDF(x) + x * expf(-0.5 * x * x) * inverseSqrtTwoPi)
            }]
        }
    }
}

/// The hyperbolic tangent elementwise (a free function overloading libm's `tanh`).
/// Backward: `G·(1 − y²)`.
public func tanh(_ x: Tensor) -> Tensor {
    let result = x.mapScalars { tanhf($0) }
    return Tensor.record(result, op: "tanh", inputs: [x]) { g, _ in
        [g.zipScalars(result) { gv, y in gv * (1 - y * y) }]
    }
}

// MARK: - Scalar helpers

/// Φ(x), the standard normal cumulative distribution.
@inline(__always)
private func normalCDF(_ x: Float) -> Float {
    0.5 * (1 + erff(x * 0.70710678118654752))
}

/// 1/√(2π), the normal density's constant.
private let inverseSqrtTwoPi: Float = 0.39894228040143268
