// AVX-512 group-normalization loops (include/normalization.h).
#include "normalization.h"
#include "vector_math_avx512.h"

// Separate multiplies and adds, as in the portable Swift (which never contracts).
#pragma clang fp contract(off)

#if defined(__x86_64__)

/// The eight lanes added in the portable path's fixed tree.
DPL_AVX512 static inline double lane_total(__m512d v) {
    double l[8];
    _mm512_storeu_pd(l, v);
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

DPL_AVX512 static inline __m512d load_double8(const float *p) {
    return _mm512_cvtps_pd(_mm256_loadu_ps(p));
}

DPL_AVX512 double dpl_sum_in_double_avx512(const float *x, long count) {
    __m512d lanes = _mm512_setzero_pd();
    long i = 0;
    for (; i + 8 <= count; i += 8) lanes = _mm512_add_pd(lanes, load_double8(x + i));
    double total = lane_total(lanes);
    for (; i < count; i++) total += (double)x[i];
    return total;
}

DPL_AVX512 double dpl_sum_of_squares_in_double_avx512(const float *x, long count, double center) {
    __m512d lanes = _mm512_setzero_pd();
    const __m512d c = _mm512_set1_pd(center);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m512d centered = _mm512_sub_pd(load_double8(x + i), c);
        lanes = _mm512_add_pd(lanes, _mm512_mul_pd(centered, centered));
    }
    double total = lane_total(lanes);
    for (; i < count; i++) {
        const double centered = (double)x[i] - center;
        total += centered * centered;
    }
    return total;
}

/// (x − mean)·scale + shift for the 16 lanes of `x + i` selected by `k`, prefetching the same
/// lanes of `upcoming` (the next group's plane) when there is one: the loop both
/// normalizations share.
DPL_AVX512 static inline __m512 dpl_normalized16(const float *x, long i, __mmask16 k, __m512 m, __m512 s, __m512 b,
                                                 const float *upcoming) {
    if (upcoming) _mm_prefetch((const char *)(upcoming + i), _MM_HINT_T1);
    return _mm512_add_ps(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), m), s), b);
}

DPL_AVX512 void dpl_normalize_avx512(const float *x, float *y, long count, float mean, float scale, float shift,
                                     const float *upcoming) {
    const __m512 m = _mm512_set1_ps(mean), s = _mm512_set1_ps(scale), b = _mm512_set1_ps(shift);
    for (long i = 0; i < count; i += 16) {
        const __mmask16 k = dpl_tail_mask16(count - i);
        _mm512_mask_storeu_ps(y + i, k, dpl_normalized16(x, i, k, m, s, b, upcoming));
    }
}

DPL_AVX512 void dpl_normalize_silu_avx512(const float *x, float *y, long count, float mean, float scale, float shift,
                                          const float *upcoming) {
    const __m512 m = _mm512_set1_ps(mean), s = _mm512_set1_ps(scale), b = _mm512_set1_ps(shift);
    for (long i = 0; i < count; i += 16) {
        const __mmask16 k = dpl_tail_mask16(count - i);
        const __m512 v = dpl_normalized16(x, i, k, m, s, b, upcoming);
        _mm512_mask_storeu_ps(y + i, k, _mm512_mul_ps(v, dpl_logistic16(v)));
    }
}

DPL_AVX512 void dpl_silu_backward_at_normalized_avx512(const float *x, const float *g, float *out, long count,
                                                       float mean, float scale, float shift) {
    const __m512 m = _mm512_set1_ps(mean), sc = _mm512_set1_ps(scale), b = _mm512_set1_ps(shift);
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long i = 0; i < count; i += 16) {
        const __mmask16 k = dpl_tail_mask16(count - i);
        const __m512 v = _mm512_add_ps(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), m), sc), b);
        const __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
        const __m512 s = dpl_logistic16(v);
        const __m512 inner = _mm512_add_ps(one, _mm512_mul_ps(v, _mm512_sub_ps(one, s)));
        _mm512_mask_storeu_ps(out + i, k, _mm512_mul_ps(_mm512_mul_ps(gv, s), inner));
    }
}

DPL_AVX512 void dpl_group_norm_gradient_sums_avx512(const float *dy, const float *x, long count, float mean,
                                                    float rstd, double *sumDy, double *sumDyX) {
    __m512d sumLanes = _mm512_setzero_pd(), productLanes = _mm512_setzero_pd();
    const __m256 m = _mm256_set1_ps(mean), r = _mm256_set1_ps(rstd);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m512d g = load_double8(dy + i);
        const __m256 normalized = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), m), r);
        sumLanes = _mm512_add_pd(sumLanes, g);
        productLanes = _mm512_add_pd(productLanes, _mm512_mul_pd(g, _mm512_cvtps_pd(normalized)));
    }
    double dySum = lane_total(sumLanes), productSum = lane_total(productLanes);
    for (; i < count; i++) {
        const double g = (double)dy[i];
        dySum += g;
        productSum += g * (double)((x[i] - mean) * rstd);
    }
    *sumDy = dySum;
    *sumDyX = productSum;
}

DPL_AVX512 void dpl_group_norm_input_gradient_avx512(const float *dy, const float *x, float *dx, long count,
                                                     float mean, float rstd, float gamma, float meanG,
                                                     float meanGX) {
    const __m512 m = _mm512_set1_ps(mean), r = _mm512_set1_ps(rstd), gm = _mm512_set1_ps(gamma);
    const __m512 mg = _mm512_set1_ps(meanG), mgx = _mm512_set1_ps(meanGX);
    for (long i = 0; i < count; i += 16) {
        const __mmask16 k = dpl_tail_mask16(count - i);
        const __m512 normalized = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), m), r);
        // rstd · ((dy·gamma − meanG) − x̂·meanGX), the portable path's order.
        const __m512 inner = _mm512_sub_ps(_mm512_sub_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, dy + i), gm), mg),
                                           _mm512_mul_ps(normalized, mgx));
        _mm512_mask_storeu_ps(dx + i, k, _mm512_mul_ps(r, inner));
    }
}

#else

// Not x86-64: `VectorISA` never chooses these; they exist so the symbols link everywhere.
#include <stdlib.h>
double dpl_sum_in_double_avx512(const float *x, long count) { (void)x; (void)count; abort(); }
double dpl_sum_of_squares_in_double_avx512(const float *x, long count, double center) {
    (void)x; (void)count; (void)center; abort();
}
void dpl_normalize_avx512(const float *x, float *y, long count, float mean, float scale, float shift,
                          const float *upcoming) {
    (void)x; (void)y; (void)count; (void)mean; (void)scale; (void)shift; (void)upcoming; abort();
}
void dpl_normalize_silu_avx512(const float *x, float *y, long count, float mean, float scale, float shift,
                               const float *upcoming) {
    (void)x; (void)y; (void)count; (void)mean; (void)scale; (void)shift; (void)upcoming; abort();
}
void dpl_silu_backward_at_normalized_avx512(const float *x, const float *g, float *out, long count,
                                            float mean, float scale, float shift) {
    (void)x; (void)g; (void)out; (void)count; (void)mean; (void)scale; (void)shift; abort();
}
void dpl_group_norm_gradient_sums_avx512(const float *dy, const float *x, long count, float mean, float rstd,
                                         double *sumDy, double *sumDyX) {
    (void)dy; (void)x; (void)count; (void)mean; (void)rstd; (void)sumDy; (void)sumDyX; abort();
}
void dpl_group_norm_input_gradient_avx512(const float *dy, const float *x, float *dx, long count,
                                          float mean, float rstd, float gamma, float meanG, float meanGX) {
    (void)dy; (void)x; (void)dx; (void)count; (void)mean; (void)rstd; (void)gamma; (void)meanG; (void)meanGX;
    abort();
}

#endif
