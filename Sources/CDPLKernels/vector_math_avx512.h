// The exponential and logistic on 16 lanes of AVX-512, shared by the kernels' .c files.
// Private to CDPLKernels (not in include/, so Swift does not see it).
//
// Lane for lane this is `vectorExp` / `vectorLogistic` of Kernels/FastMath.swift: the same
// constants, the same rounding steps in the same order (two of them in one instruction each,
// with the same result: see dpl_exp16), separate multiplies and adds (the
// including file turns FP contraction off), so results are bit-identical to the portable path.
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

#define DPL_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))

/// e^x on 16 lanes (see `vectorExp`).
DPL_AVX512 static inline __m512 dpl_exp16(__m512 x) {
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    // Clamp to [−104, 89]; a NaN passes through (both comparisons are false for it).
    // max and min give the portable path's clamp for every non-NaN x; a NaN lane's value is
    // replaced by x at the end, whatever it became here.
    const __m512 clamped = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(89.0f));
    const __m512 shifter = _mm512_set1_ps(12582912.0f);
    const __m512 shifted = _mm512_add_ps(_mm512_mul_ps(clamped, log2e), shifter);
    const __m512 n = _mm512_sub_ps(shifted, shifter);
    __m512 r = _mm512_sub_ps(clamped, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f)));
    r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(-2.12194440e-4f)));
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.0000001201e-1f));
    const __m512 er = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(p, _mm512_mul_ps(r, r)), r), _mm512_set1_ps(1.0f));
    // er · 2ⁿ in one step. The portable path multiplies by 2^⌊n/2⌋ and then by 2^(n − ⌊n/2⌋):
    // the first product stays normal and exact (er ∈ [0.7, 1.5], |⌊n/2⌋| ≤ 75), so only the
    // second rounds — once, as vscalefps does, into the subnormals and to infinity alike.
    // Checked on all 2³² inputs: the same bits as the two multiplications (docs/performance.md).
    const __m512 result = _mm512_scalef_ps(er, n);
    // NaN stays NaN: lanes where x != x take x itself.
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), result, x);
}

/// σ(x) = 1/(1 + e^(−|x|)) for x ≥ 0 and e^(−|x|)/(1 + e^(−|x|)) for x < 0 (see `vectorLogistic`).
DPL_AVX512 static inline __m512 dpl_logistic16(__m512 x) {
    // −|x| as 0 − |x|, which is what Swift's SIMD negation computes: the same bits as a
    // sign flip except for a NaN, whose sign it keeps (and the NaN's sign reaches the result).
    const __m512 magnitude = _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7FFFFFFF)));
    const __m512 negativeMagnitude = _mm512_sub_ps(_mm512_setzero_ps(), magnitude);
    const __m512 e = dpl_exp16(negativeMagnitude);
    const __m512 numerator = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ),
                                                  _mm512_set1_ps(1.0f), e);
    return _mm512_div_ps(numerator, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

/// The mask of the first `count` lanes (all 16 when count ≥ 16).
static inline __mmask16 dpl_tail_mask16(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1u);
}

#endif
