// AVX-512 stride-2 col2im (include/col2im.h).
#include "col2im.h"
#include "vector_math_avx512.h"

#if defined(__x86_64__)

/// Sixteen sources added to the even lanes of the 32 targets from `target` (masked to the
/// first `count` sources; the odd lanes and everything past the last target are not touched).
DPL_AVX512 static inline void add_to_even_lanes(const float *source, float *target, long count) {
    const __m512i firstHalf = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    const __m512i secondHalf = _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
    const __m512 s = _mm512_maskz_loadu_ps(dpl_tail_mask16(count), source);
    // Even lanes of the first 16 targets take sources 0–7, of the next 16 sources 8–15.
    const __mmask16 low = (__mmask16)(0x5555 & (count >= 8 ? 0xFFFF : (1u << (2 * count)) - 1u));
    const __mmask16 high = count <= 8 ? 0 : (__mmask16)(0x5555 & (count >= 16 ? 0xFFFF : (1u << (2 * (count - 8))) - 1u));
    const __m512 t0 = _mm512_maskz_loadu_ps(low, target);
    _mm512_mask_storeu_ps(target, low, _mm512_add_ps(t0, _mm512_permutexvar_ps(firstHalf, s)));
    if (high) {
        const __m512 t1 = _mm512_maskz_loadu_ps(high, target + 16);
        _mm512_mask_storeu_ps(target + 16, high, _mm512_add_ps(t1, _mm512_permutexvar_ps(secondHalf, s)));
    }
}

DPL_AVX512 void dpl_col2im_stride2_avx512(const float *columns, float *plane, long outHeight, long outWidth,
                                          long height, long width, long firstInputRow, long firstInputColumn,
                                          long firstColumn, long endColumn) {
    for (long oy = 0; oy < outHeight; oy++) {
        const long iy = firstInputRow + 2 * oy;
        if (iy < 0 || iy >= height) continue;
        const float *source = columns + oy * outWidth;
        float *target = plane + iy * width + firstInputColumn;
        for (long ox = firstColumn; ox < endColumn; ox += 16) {
            const long count = endColumn - ox < 16 ? endColumn - ox : 16;
            add_to_even_lanes(source + ox, target + 2 * ox, count);
        }
    }
}

#else

// Not x86-64: `VectorISA` never chooses this; it exists so the symbol links everywhere.
#include <stdlib.h>
void dpl_col2im_stride2_avx512(const float *columns, float *plane, long outHeight, long outWidth, long height,
                               long width, long firstInputRow, long firstInputColumn, long firstColumn,
                               long endColumn) {
    (void)columns; (void)plane; (void)outHeight; (void)outWidth; (void)height; (void)width;
    (void)firstInputRow; (void)firstInputColumn; (void)firstColumn; (void)endColumn;
    abort();
}

#endif
