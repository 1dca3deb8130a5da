// AVX-512 activations (include/activations.h): 16 lanes per step, a masked step for the tail.
//
// Why masked tails are exact: every lane's result depends only on that lane's input, so
// computing the tail with the inactive lanes zeroed (as the portable path pads with zeros)
// or masked gives the same bits in the active lanes.
#include "activations.h"
#include "vector_math_avx512.h"

// Separate multiplies and adds, as in the portable Swift (which never contracts).
#pragma clang fp contract(off)

#if defined(__x86_64__)

DPL_AVX512 void dpl_silu_avx512(const float *x, float *y, long count) {
    for (long i = 0; i < count; i += 16) {
        const __mmask16 m = dpl_tail_mask16(count - i);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(v, dpl_logistic16(v)));
    }
}

DPL_AVX512 void dpl_silu_backward_avx512(const float *g, const float *x, float *out, long count) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long i = 0; i < count; i += 16) {
        const __mmask16 m = dpl_tail_mask16(count - i);
        const __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
        const __m512 gv = _mm512_maskz_loadu_ps(m, g + i);
        const __m512 s = dpl_logistic16(xv);
        // gv · s · (1 + x · (1 − s)), left to right as in Activations.swift.
        const __m512 inner = _mm512_add_ps(one, _mm512_mul_ps(xv, _mm512_sub_ps(one, s)));
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_mul_ps(gv, s), inner));
    }
}

// max(x, +0) returns its second operand when either is NaN or both are zeros, so NaN and −0
// give +0, exactly as the portable `x > 0 ? x : 0`.
DPL_AVX512 void dpl_relu_avx512(const float *x, float *y, long count) {
    const __m512 zero = _mm512_setzero_ps();
    for (long i = 0; i < count; i += 16) {
        const __mmask16 m = dpl_tail_mask16(count - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_max_ps(_mm512_maskz_loadu_ps(m, x + i), zero));
    }
}

DPL_AVX512 void dpl_relu_backward_avx512(const float *g, const float *x, float *out, long count) {
    const __m512 zero = _mm512_setzero_ps();
    for (long i = 0; i < count; i += 16) {
        const __mmask16 m = dpl_tail_mask16(count - i);
        // x > 0, ordered: false for NaN, as in the portable path.
        const __mmask16 positive = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, x + i), zero, _CMP_GT_OQ);
        _mm512_mask_storeu_ps(out + i, m, _mm512_maskz_loadu_ps(positive, g + i));
    }
}

DPL_AVX512 void dpl_logistic_avx512(const float *x, float *y, long count) {
    for (long i = 0; i < count; i += 16) {
        const __mmask16 m = dpl_tail_mask16(count - i);
        _mm512_mask_storeu_ps(y + i, m, dpl_logistic16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

DPL_AVX512 void dpl_logistic_backward_avx512(const float *g, const float *y, float *out, long count) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long i = 0; i < count; i += 16) {
        const __mmask16 m = dpl_tail_mask16(count - i);
        const __m512 yv = _mm512_maskz_loadu_ps(m, y + i);
        const __m512 gv = _mm512_maskz_loadu_ps(m, g + i);
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_mul_ps(gv, yv), _mm512_sub_ps(one, yv)));
    }
}

#else

// Not x86-64: `VectorISA` never chooses these; they exist so the symbols link everywhere.
#include <stdlib.h>
void dpl_silu_avx512(const float *x, float *y, long count) { (void)x; (void)y; (void)count; abort(); }
void dpl_silu_backward_avx512(const float *g, const float *x, float *out, long count) {
    (void)g; (void)x; (void)out; (void)count; abort();
}
void dpl_relu_avx512(const float *x, float *y, long count) { (void)x; (void)y; (void)count; abort(); }
void dpl_relu_backward_avx512(const float *g, const float *x, float *out, long count) {
    (void)g; (void)x; (void)out; (void)count; abort();
}
void dpl_logistic_avx512(const float *x, float *y, long count) { (void)x; (void)y; (void)count; abort(); }
void dpl_logistic_backward_avx512(const float *g, const float *y, float *out, long count) {
    (void)g; (void)y; (void)out; (void)count; abort();
}

#endif
