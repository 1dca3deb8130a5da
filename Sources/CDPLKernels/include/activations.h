// AVX-512 versions of the engine's lane-wise activations (Kernels/FastMath.swift,
// Ops/Activations.swift).
//
// Each function gives bit-for-bit the result of the portable Swift loop it replaces: the same
// exponential (Cephes-style range reduction and degree-6 polynomial), the same operation
// order, no fused multiply-adds, and every element computed alone (a tail is masked, not
// padded into other lanes' arithmetic). Call them only when `dpl_cpu_has_avx512()` says yes.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = x[i] · σ(x[i])  (SiLU).
void dpl_silu_avx512(const float *x, float *y, long count);

/// out[i] = g[i] · σ(x[i]) · (1 + x[i] · (1 − σ(x[i])))  (SiLU's backward).
void dpl_silu_backward_avx512(const float *g, const float *x, float *out, long count);

/// y[i] = x[i] > 0 ? x[i] : 0  (ReLU; NaN and −0 give +0).
void dpl_relu_avx512(const float *x, float *y, long count);

/// out[i] = x[i] > 0 ? g[i] : 0  (ReLU's backward).
void dpl_relu_backward_avx512(const float *g, const float *x, float *out, long count);

/// y[i] = σ(x[i]) = 1 / (1 + e^(−x[i])).
void dpl_logistic_avx512(const float *x, float *y, long count);

/// out[i] = g[i] · y[i] · (1 − y[i])  (σ's backward from its output).
void dpl_logistic_backward_avx512(const float *g, const float *y, float *out, long count);

#ifdef __cplusplus
}
#endif
