// Winograd F(m×m, 3×3), m = 2 or 4, for unit-stride 3×3 convolutions with padding 1 (the
// U-Net's "same" convolutions: forward, input gradient and weight gradient), on CPUs with
// AVX-512.
//
// Each m×m block of outputs of one output channel is computed from the (m + 2)×(m + 2) input
// tile under it (tiles at stride m, starting one row and column before the block: the
// padding) as
//
//     Y = Aᵀ [ Σ_c  (G g_oc Gᵀ) ⊙ (Bᵀ d_c B) ] A
//
// (m + 2)² multiplications per (block, input channel, output channel) where the direct kernel
// does 9m²: F(2×2) does 16 for 4 outputs (2.25× fewer), F(4×4) 36 for 16 (4× fewer). The sum
// over c of the elementwise products is (m + 2)² independent matrix products, one per
// position ξ of the transformed tile:
//
//     M[ξ] (O × tiles) = U[ξ] (O × C) · V[ξ] (C × tiles)
//
// computed by a register tile of 8 output channels × 48 tiles (24 zmm accumulators, as the
// direct kernel's 8 × 48 positions), vectorized over 16 tiles per zmm: V is laid out per tile
// block of up to 48 tiles as [ξ][C][tiles], each tile row in a power-of-two number of slots so
// that a vector's inputs and outputs are runs of consecutive columns (winograd.c).
//
// Determinism: for every output element, each M[ξ] sums the channels in order 0 … C − 1 from
// zero, the output transform combines the M[ξ] in one fixed order, then the bias and the
// shift are added: out = (bias + Aᵀ M A) + shift. Nothing depends on the tile's position in a
// vector, the thread or the batch; the tile size depends only on the plane
// (dpl_winograd_tile_size).
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The output tile side m (2 or 4) that does the fewest products on a height × width plane:
/// 4 where F(4×4) does at most ¾ of F(2×2)'s (the U-Net's 28×28 and 14×14 planes), else 2.
int dpl_winograd_tile_size(int height, int width);

/// Floats the packed transformed weight of `outChannels` × `inChannels` takes for tile side
/// `tileSize` (output channels rounded up to a whole block of 8; the extra rows are zero).
size_t dpl_winograd_packed_weight_count(int tileSize, int outChannels, int inChannels);

/// Blocks of 8 output channels the packed weight has (dpl_winograd_pack_weight packs a range).
int dpl_winograd_weight_blocks(int outChannels);

/// Transforms and packs blocks [firstBlock, firstBlock + blockCount) of a 3×3 weight for tile
/// side `tileSize`: U = G g Gᵀ per (output, input channel). Ranges are independent, so the
/// blocks can be packed in parallel. With `transposeFlip` = 0, `weight` is [outChannels,
/// inChannels, 3, 3] as conv2d takes it. With `transposeFlip` = 1 it is [inChannels,
/// outChannels, 3, 3], the weight of the convolution whose input gradient is wanted, read
/// transposed over its first two axes and flipped in space (dx = conv(dy, W flipped,
/// padding 1)), as dpl_conv_direct_pack_weight does.
void dpl_winograd_pack_weight(int tileSize, const float *weight, int outChannels, int inChannels,
                              int transposeFlip, int firstBlock, int blockCount, float *packed);

/// Floats of one sample's scratch: the transformed input V and one tile block's products M.
size_t dpl_winograd_scratch_count(int tileSize, int inChannels, int outChannels, int height, int width);

/// One sample's 3×3, stride-1, padding-1 convolution with tile side `tileSize`: input
/// [inChannels, height, width] to output [outChannels, height, width], out = (bias + conv) +
/// shift per output channel; `bias` and `shift` ([outChannels]) may be NULL. `scratch` holds
/// dpl_winograd_scratch_count floats and starts on a 64-byte boundary (its vectors are read
/// with aligned loads). Requires AVX-512 F/BW/DQ/VL (dpl_cpu_has_avx512()).
void dpl_winograd_forward_avx512(int tileSize, const float *input, const float *packedWeight, int inChannels,
                                 int outChannels, int height, int width, const float *bias, const float *shift,
                                 float *scratch, float *output);

// MARK: Weight gradient (winograd_weight_gradient.c)
//
// dW = Gᵀ dU G with dU[ξ] (O × C) = Σ over the tiles of every sample of dM[ξ] · V[ξ]ᵀ, dM = A dY
// Aᵀ per tile: (m + 2)² multiply-adds per tile, input and output channel, where the direct
// kernel does 9m². dU is summed sample by sample in the order of the calls.

/// Floats of the scratch one call of dpl_winograd_weight_gradient_avx512 needs (one sample's V,
/// dM and dY transposed).
size_t dpl_winograd_weight_gradient_scratch_count(int tileSize, int inChannels, int outChannels, int height,
                                                  int width);

/// Floats of the accumulator dU of a run of samples.
size_t dpl_winograd_weight_accumulator_count(int tileSize, int inChannels, int outChannels);

/// Adds one sample's dU to `accumulator` (with `first` ≠ 0, overwrites it): `input` [inChannels,
/// height, width] is the convolution's input, `gradOutput` [outChannels, height, width] its
/// output's gradient. Requires AVX-512 F/BW/DQ/VL.
void dpl_winograd_weight_gradient_avx512(int tileSize, const float *input, const float *gradOutput, int inChannels,
                                         int outChannels, int height, int width, float *scratch, float *accumulator,
                                         int first);

/// dW = Gᵀ dU G from the accumulator, written (overwritten) in the direct kernel's accumulator
/// layout [O₁₆ / 16][C][9][16] (dpl_conv_direct_weight_accumulator_count floats): the partial
/// sums of several runs are added in that layout, and dpl_conv_direct_weight_gradient_finish
/// turns their total into [outChannels, inChannels, 3, 3] once. Requires AVX-512 F/BW/DQ/VL.
void dpl_winograd_weight_gradient_finish(int tileSize, const float *accumulator, int inChannels, int outChannels,
                                         float *direct);

#ifdef __cplusplus
}
#endif
