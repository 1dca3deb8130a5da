// AVX-512 versions of group normalization's loops (Ops/GroupNorm.swift).
//
// Each gives bit-for-bit the portable Swift result: the statistics keep the portable path's
// eight Double lanes (one zmm register holds exactly eight doubles), combined in the same
// fixed tree and followed by the same serial tail; the per-element maps use the same operation
// order without fused multiply-adds. Call them only when `dpl_cpu_has_avx512()` says yes.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// Σ x[i] in Double: eight lanes, the tree ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)), then the tail
/// in order.
double dpl_sum_in_double_avx512(const float *x, long count);

/// Σ (x[i] − center)² in Double, in the order of `dpl_sum_in_double_avx512`.
double dpl_sum_of_squares_in_double_avx512(const float *x, long count, double center);

/// y[i] = (x[i] − mean) · scale + shift. `upcoming` (or NULL): `count` floats the caller reads
/// next, prefetched into L2 while this loop computes — the next group's plane, whose first
/// statistics pass otherwise waits on memory. A hint only: it changes no result.
void dpl_normalize_avx512(const float *x, float *y, long count, float mean, float scale, float shift,
                          const float *upcoming);

/// y[i] = SiLU((x[i] − mean) · scale + shift); `upcoming` as for `dpl_normalize_avx512`.
void dpl_normalize_silu_avx512(const float *x, float *y, long count, float mean, float scale, float shift,
                               const float *upcoming);

/// out[i] = g[i] · σ(v) · (1 + v · (1 − σ(v))) with v = (x[i] − mean) · scale + shift: the
/// gradient at the normalized values given the gradient at the fused SiLU's output.
void dpl_silu_backward_at_normalized_avx512(const float *x, const float *g, float *out, long count,
                                            float mean, float scale, float shift);

/// *sumDy = Σ dy[i] and *sumDyX = Σ dy[i] · x̂[i] in Double, x̂ = (x[i] − mean) · rstd in Float,
/// in the order of `dpl_sum_in_double_avx512`.
void dpl_group_norm_gradient_sums_avx512(const float *dy, const float *x, long count, float mean, float rstd,
                                         double *sumDy, double *sumDyX);

/// dx[i] = rstd · (dy[i] · gamma − meanG − x̂[i] · meanGX), x̂ = (x[i] − mean) · rstd.
void dpl_group_norm_input_gradient_avx512(const float *dy, const float *x, float *dx, long count,
                                          float mean, float rstd, float gamma, float meanG, float meanGX);

#ifdef __cplusplus
}
#endif
