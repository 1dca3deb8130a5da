// Direct AVX-512 kernels for unit-stride 2-D convolutions (DPL's U-Net and CNN 3×3 "same"
// convolutions, forward and input gradient), replacing im2col + sgemm on CPUs with AVX-512.
//
// The layout trick: one sample [C, H, W] is copied into a zero-padded [C, H + 2p, Wp]
// buffer: each row is p zeros, its W floats and zeros up to Wp = W + p (or the output width
// Wo = W + 2p − kw + 1 if that is larger). A tap reads at most p columns past a row's end,
// which lands in the next row's leading zeros, so those p zeros serve as the right padding of
// one row and the left padding of the next. The output is computed on the padded grid —
// positions q = oy·Wp + ox with ox < Wp — so that every kernel tap (c, ky, kx) is one
// contiguous read of the padded plane shifted by ky·Wp + kx:
//
//     out[o, q] = Σ_c Σ_ky Σ_kx  W[o, c, ky, kx] · xpad[c, q + ky·Wp + kx]
//
// and the grid columns ox ≥ Wo are dropped when storing.
// A register tile holds MR output channels × NV·16 grid positions; the weights are packed so
// that each tap's MR weights are contiguous.
//
// Determinism: every output element is summed over (c, ky, kx) in that fixed order, starting
// from its bias, whatever the tile, the thread or the batch; the channel shift is added last.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Output channels per packed weight block (the register tile's height).
int dpl_conv_direct_block(void);

/// Floats the packed weight of `outChannels` × `inChannels` × `kernelHeight` × `kernelWidth`
/// takes (output channels rounded up to a whole block; the extra rows are zero).
size_t dpl_conv_direct_packed_weight_count(int outChannels, int inChannels, int kernelHeight, int kernelWidth);

/// Packs `weight` for the kernel. With `transposeFlip` = 0, `weight` is
/// [outChannels, inChannels, kh, kw] as conv2d takes it. With `transposeFlip` = 1 it is
/// [inChannels, outChannels, kh, kw]: the weight of the convolution whose input gradient is
/// wanted (its output channels are this convolution's input channels, the channels of dy),
/// packed transposed over its first two axes and flipped in space, so that
/// dx = conv(dy, W flipped, padding kh − 1 − p) for a unit-stride convolution with padding p.
void dpl_conv_direct_pack_weight(const float *weight, int outChannels, int inChannels,
                                 int kernelHeight, int kernelWidth, int transposeFlip, float *packed);

/// Floats between two channels of the padded buffer of a [C, height, width] sample with
/// `padding` on every side and a kh × kw kernel.
size_t dpl_conv_direct_channel_stride(int height, int width, int kernelHeight, int kernelWidth, int padding);

/// Floats the padded buffer of one sample takes (`channels` channels plus slack that the
/// vector reads past the last position may touch).
size_t dpl_conv_direct_padded_count(int channels, int height, int width, int kernelHeight, int kernelWidth,
                                    int padding);

/// Copies one sample [channels, height, width] into `padded` (dpl_conv_direct_padded_count
/// floats) with zero padding; every float of `padded` is written. Requires AVX-512.
void dpl_conv_direct_pad(const float *input, int channels, int height, int width,
                         int kernelHeight, int kernelWidth, int padding, float *padded);

/// One sample's unit-stride convolution from its padded input (dpl_conv_direct_pad) and the
/// packed weight: writes output [outChannels, Ho, Wo], Ho = height + 2·padding − kh + 1,
/// Wo = width + 2·padding − kw + 1. `bias` [outChannels] and `shift` [outChannels] may be NULL;
/// out = (bias + Σ) + shift. Requires AVX-512 F/BW/DQ/VL (dpl_cpu_has_avx512()).
void dpl_conv_direct_forward_avx512(const float *padded, const float *packedWeight,
                                    int inChannels, int outChannels, int height, int width,
                                    int kernelHeight, int kernelWidth, int padding,
                                    const float *bias, const float *shift, float *output);

// MARK: Stride 2
//
// A stride-2 convolution reads every other column: the padded sample is split into its four
// phases (even/odd rows × even/odd columns, each [⌈Hp/2⌉, ⌈Wp/2⌉]) so that each tap is again
// one contiguous read, of the phase (ky mod 2, kx mod 2) shifted by (ky/2, kx/2).

/// Floats of the phase-split padded buffer of one sample (with slack, as above).
size_t dpl_conv_direct_phases_count(int channels, int height, int width, int padding);

/// Copies one sample [channels, height, width] into its four phases per channel, zero padded;
/// every float of `phases` (dpl_conv_direct_phases_count) is written.
void dpl_conv_direct_pad_phases(const float *input, int channels, int height, int width, int padding,
                                float *phases);

/// As dpl_conv_direct_forward_avx512 for stride 2, from dpl_conv_direct_pad_phases's buffer:
/// output [outChannels, (H + 2p − kh)/2 + 1, (W + 2p − kw)/2 + 1]. Requires AVX-512.
void dpl_conv_direct_forward_stride2_avx512(const float *phases, const float *packedWeight,
                                            int inChannels, int outChannels, int height, int width,
                                            int kernelHeight, int kernelWidth, int padding,
                                            const float *bias, const float *shift, float *output);

// MARK: Weight gradient of 3×3 unit-stride convolutions
//
//     dW[o, c, ky, kx] = Σ_samples Σ_(oy, ox) dy[o, oy, ox] · xpad[c, oy·Wp + ox + ky·Wp + kx]
//
// vectorized over 16 output channels, with dy transposed to [positions, O] so that no
// horizontal sums are needed: each dW element is summed sample by sample, position by
// position, in that fixed order. One sample at a time keeps its padded input, its transposed
// gradient and the accumulator (the size of dW) in L2.

/// Floats of one sample's transposed gradient: `positions` rows of `outChannels` rounded up
/// to a multiple of 16 (the extra columns are zero).
size_t dpl_conv_direct_transposed_count(int outChannels, int positions);

/// Writes `dy [outChannels, positions]` transposed into `transposed`
/// (dpl_conv_direct_transposed_count floats, all written).
void dpl_conv_direct_transpose(const float *dy, int outChannels, int positions, float *transposed);

/// Floats of the weight gradient's accumulator: [⌈O/16⌉, C, 9, 16], 16 output channels per
/// vector.
size_t dpl_conv_direct_weight_accumulator_count(int inChannels, int outChannels);

/// Adds one sample's weight gradient to `accumulator` (with `first` ≠ 0, overwrites it): from
/// its padded input (dpl_conv_direct_pad with a 3×3 kernel and `padding`) and its transposed
/// output gradient (dpl_conv_direct_transpose). Samples accumulate in the order of the calls.
/// Requires AVX-512.
void dpl_conv_direct_weight_gradient_3x3_avx512(const float *padded, const float *transposed, int inChannels,
                                                int outChannels, int height, int width, int padding,
                                                float *accumulator, int first);

/// `gradWeight [outChannels, inChannels, 3, 3]` (overwritten) from the accumulator.
void dpl_conv_direct_weight_gradient_finish(const float *accumulator, int inChannels, int outChannels,
                                            float *gradWeight);

#ifdef __cplusplus
}
#endif
