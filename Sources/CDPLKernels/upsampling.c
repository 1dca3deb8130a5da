// AVX-512 gradient of 2× nearest-neighbour upsampling (include/upsampling.h): 16 input
// pixels per step, their 2×2 blocks gathered from two rows of 32 outputs with permutes.
#include "upsampling.h"
#include "vector_math_avx512.h"

#pragma clang fp contract(off)

#if defined(__x86_64__)

/// The mask of the first `count` lanes, 0 ≤ count (all 16 when count ≥ 16, none when ≤ 0).
static inline __mmask16 lanes_up_to(long count) {
    return count <= 0 ? (__mmask16)0 : dpl_tail_mask16(count);
}

DPL_AVX512 void dpl_upsample_nearest2x_backward_plane_avx512(const float *gradOut, float *gradIn, long height,
                                                             long width) {
    const long outWidth = 2 * width;
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (long y = 0; y < height; y++) {
        const float *top = gradOut + 2 * y * outWidth, *bottom = top + outWidth;
        for (long x = 0; x < width; x += 16) {
            const long remaining = width - x;
            const __mmask16 lowMask = lanes_up_to(2 * remaining), highMask = lanes_up_to(2 * remaining - 16);
            const __m512 t0 = _mm512_maskz_loadu_ps(lowMask, top + 2 * x);
            const __m512 t1 = _mm512_maskz_loadu_ps(highMask, top + 2 * x + 16);
            const __m512 b0 = _mm512_maskz_loadu_ps(lowMask, bottom + 2 * x);
            const __m512 b1 = _mm512_maskz_loadu_ps(highMask, bottom + 2 * x + 16);
            // Row by row, left to right, starting from +0 as the portable loop does.
            __m512 total = _mm512_add_ps(_mm512_setzero_ps(), _mm512_permutex2var_ps(t0, evens, t1));
            total = _mm512_add_ps(total, _mm512_permutex2var_ps(t0, odds, t1));
            total = _mm512_add_ps(total, _mm512_permutex2var_ps(b0, evens, b1));
            total = _mm512_add_ps(total, _mm512_permutex2var_ps(b0, odds, b1));
            _mm512_mask_storeu_ps(gradIn + y * width + x, dpl_tail_mask16(remaining), total);
        }
    }
}

#else

#include <stdlib.h>
// Not x86-64: `VectorISA` never chooses these; they exist so the symbols link everywhere.
void dpl_upsample_nearest2x_backward_plane_avx512(const float *gradOut, float *gradIn, long height, long width) {
    (void)gradOut; (void)gradIn; (void)height; (void)width; abort();
}

#endif
