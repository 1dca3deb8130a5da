// AVX-512 versions of the 2× nearest-neighbour upsampling loops (Ops/Upsampling.swift), the
// factor the U-Net's decoder uses. Forward only copies values; backward sums each 2×2 block
// in the portable path's order ((((0 + top-left) + top-right) + bottom-left) + bottom-right),
// so both give the portable path's bits. Call them only when `dpl_cpu_has_avx512()` says yes.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// One plane: out (2·height × 2·width) gets each input pixel of in (height × width) in a 2×2 block.
void dpl_upsample_nearest2x_plane_avx512(const float *in, float *out, long height, long width);

/// One plane's gradient: gradIn[y, x] = the sum of the 2×2 block of gradOut (2·height × 2·width).
void dpl_upsample_nearest2x_backward_plane_avx512(const float *gradOut, float *gradIn, long height, long width);

#ifdef __cplusplus
}
#endif
