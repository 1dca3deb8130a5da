// AVX-512 version of col2im's stride-2 scatter-add (Kernels/Im2col.swift), the input gradient
// of the U-Net's downsampling convolutions: `target[2i] += source[i]` for every output row of
// one (channel, kernel row, kernel column) of the column matrix. Each element gets the same
// single addition as in the portable loop, in the same order, so the bits are the portable
// path's. Call it only when `dpl_cpu_has_avx512()` says yes.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// For oy in 0 ..< outHeight with iy = firstInputRow + 2·oy inside [0, height):
/// plane[iy·width + firstInputColumn + 2·ox] += columns[oy·outWidth + ox] for ox in
/// [firstColumn, endColumn) (the columns whose input column lies inside the plane).
void dpl_col2im_stride2_avx512(const float *columns, float *plane, long outHeight, long outWidth, long height,
                               long width, long firstInputRow, long firstInputColumn, long firstColumn,
                               long endColumn);

#ifdef __cplusplus
}
#endif
