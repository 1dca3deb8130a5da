// AVX-512 version of the gradient of 2× nearest-neighbour upsampling (Ops/Upsampling.swift),
// the factor the U-Net's decoder uses. It sums each 2×2 block in the portable path's order
// ((((0 + top-left) + top-right) + bottom-left) + bottom-right), so it gives the portable bits.
// (The forward pass only copies values; a 16-lane version with masked stores was measured
// slower than the portable loop on the decoder's 7- and 14-pixel rows, so it has none.)
// Call it only when `dpl_cpu_has_avx512()` says yes.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// One plane's gradient: gradIn[y, x] = the sum of the 2×2 block of gradOut (2·height × 2·width).
void dpl_upsample_nearest2x_backward_plane_avx512(const float *gradOut, float *gradIn, long height, long width);

#ifdef __cplusplus
}
#endif
