// Direct AVX-512 convolution on the padded grid (see include/convolution.h for the layout).
#include "convolution.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// 8 output channels × 3 vectors (48 grid positions) = 24 zmm accumulators, 3 for the input
// vectors and 1 for the broadcast weight: 11 loads per 24 FMAs, so both FMA ports can stay
// busy. On a Sapphire Rapids core it reaches 150–200 GFLOP/s on the U-Net's shapes
// (docs/performance.md, session 6); other tile shapes (4 × 6 vectors) were not tried.
enum { BLOCK = 8, MAX_VECTORS = 3 };

int dpl_conv_direct_block(void) { return BLOCK; }

size_t dpl_conv_direct_packed_weight_count(int outChannels, int inChannels, int kernelHeight, int kernelWidth) {
    size_t blocks = ((size_t)outChannels + BLOCK - 1) / BLOCK;
    return blocks * BLOCK * (size_t)inChannels * (size_t)kernelHeight * (size_t)kernelWidth;
}

void dpl_conv_direct_pack_weight(const float *weight, int outChannels, int inChannels,
                                 int kernelHeight, int kernelWidth, int transposeFlip, float *packed) {
    const int taps = kernelHeight * kernelWidth;
    const int blocks = (outChannels + BLOCK - 1) / BLOCK;
    const size_t blockSize = (size_t)BLOCK * inChannels * taps;
    // packed[block][c][tap][row]; the rows past outChannels in the last block are zero.
    // Row by row, so that the reads run along the weight's memory (this runs on every call).
    if (outChannels % BLOCK) memset(packed + (blocks - 1) * blockSize, 0, sizeof(float) * blockSize);
    for (int o = 0; o < outChannels; o++) {
        float *target = packed + (size_t)(o / BLOCK) * blockSize + o % BLOCK;
        for (int c = 0; c < inChannels; c++) {
            float *cell = target + (size_t)c * taps * BLOCK;
            if (transposeFlip) {
                const float *source = weight + ((size_t)c * outChannels + o) * taps;
                for (int tap = 0; tap < taps; tap++) cell[tap * BLOCK] = source[taps - 1 - tap];
            } else {
                const float *source = weight + ((size_t)o * inChannels + c) * taps;
                for (int tap = 0; tap < taps; tap++) cell[tap * BLOCK] = source[tap];
            }
        }
    }
}

/// The padded buffer's row stride Wp: p zeros, the W input floats, then zeros up to Wp. A tap
/// reads up to p columns left of a row's data (its own leading zeros) and up to p columns
/// right of it (it runs on into the next row's leading zeros), so one padding of p between
/// rows serves as both the right padding of one row and the left padding of the next:
/// Wp = W + p rather than W + 2p. Only when p > k − 1 is the output (W + 2p − k + 1 wide)
/// wider than that, and the grid widens to it. The output is computed on the padded grid, so
/// the Wp − Wo columns dropped per row shrink from 2p to p: for a "same" 3×3 at 28×28 the grid
/// is 812 positions (51 vectors) instead of 840 (53), ~3% faster. At 14×14 and 7×7 the vector
/// count does not change (210 and 56 positions still take 14 and 4 vectors), nor the time.
static size_t padded_width(int width, int kernelWidth, int padding) {
    const int extra = 2 * padding - kernelWidth + 1 > padding ? 2 * padding - kernelWidth + 1 : padding;
    return (size_t)width + (size_t)extra;
}

size_t dpl_conv_direct_channel_stride(int height, int width, int kernelHeight, int kernelWidth, int padding) {
    const size_t paddedHeight = (size_t)height + 2 * (size_t)padding;
    (void)kernelHeight;
    return paddedHeight * padded_width(width, kernelWidth, padding);
}

size_t dpl_conv_direct_padded_count(int channels, int height, int width, int kernelHeight, int kernelWidth,
                                    int padding) {
    // A tile's last vectors run up to MAX_VECTORS·16 positions past the grid's end, shifted by
    // up to the last tap's offset: slack so that those (discarded) lanes read initialized memory.
    return (size_t)channels * dpl_conv_direct_channel_stride(height, width, kernelHeight, kernelWidth, padding)
        + MAX_VECTORS * 16 + (size_t)kernelWidth + 16;
}


size_t dpl_conv_direct_phases_count(int channels, int height, int width, int padding) {
    const size_t phaseHeight = ((size_t)height + 2 * (size_t)padding + 1) / 2;
    const size_t phaseWidth = ((size_t)width + 2 * (size_t)padding + 1) / 2;
    return (size_t)channels * 4 * phaseHeight * phaseWidth + MAX_VECTORS * 16 + phaseWidth + 16;
}

size_t dpl_conv_direct_weight_accumulator_count(int inChannels, int outChannels) {
    return ((size_t)outChannels + 15) / 16 * 16 * (size_t)inChannels * 9;
}

void dpl_conv_direct_weight_gradient_finish(const float *accumulator, int inChannels, int outChannels,
                                            float *gradWeight) {
    const size_t patch = (size_t)inChannels * 9;
    for (int o = 0; o < outChannels; o++)
        for (size_t j = 0; j < patch; j++)
            gradWeight[o * patch + j] = accumulator[((size_t)(o / 16) * patch + j) * 16 + o % 16];
}

size_t dpl_conv_direct_transposed_count(int outChannels, int positions) {
    return (size_t)positions * (((size_t)outChannels + 15) / 16 * 16);
}

#if defined(__x86_64__)

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

/// Zeroes `count` floats.
static inline __attribute__((always_inline)) AVX512 void zero_floats(float *target, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(target + i, _mm512_setzero_ps());
    if (i < count) _mm512_mask_storeu_ps(target + i, (__mmask16)((1u << (count - i)) - 1u), _mm512_setzero_ps());
}

// Padding runs once per sample and convolution; with 28-float rows, a memcpy call per row cost
// as much as the copy (3–6% of a convolution's time), hence masked vector moves.
AVX512
void dpl_conv_direct_pad(const float *input, int channels, int height, int width,
                         int kernelHeight, int kernelWidth, int padding, float *padded) {
    const size_t stride = dpl_conv_direct_channel_stride(height, width, kernelHeight, kernelWidth, padding);
    const size_t paddedWidth = padded_width(width, kernelWidth, padding);
    const size_t total = dpl_conv_direct_padded_count(channels, height, width, kernelHeight, kernelWidth, padding);
    const int whole = width / 16 * 16;
    const __mmask16 tail = (__mmask16)((1u << (width - whole)) - 1u);
    // Only the padding is zeroed (each float is written once): the top rows and the left
    // padding of the first row, then per row its data and the gap to the next row's data
    // (Wp − W zeros), then the rest of the last row and the bottom rows, then the slack.
    const size_t gap = paddedWidth - (size_t)width;
    for (int c = 0; c < channels; c++) {
        const float *source = input + (size_t)c * height * width;
        float *plane = padded + c * stride;
        zero_floats(plane, padding * paddedWidth + padding);
        for (int y = 0; y < height; y++) {
            const float *from = source + (size_t)y * width;
            float *to = plane + (y + padding) * paddedWidth + padding;
            for (int x = 0; x < whole; x += 16) _mm512_storeu_ps(to + x, _mm512_loadu_ps(from + x));
            if (tail) _mm512_mask_storeu_ps(to + whole, tail, _mm512_maskz_loadu_ps(tail, from + whole));
            zero_floats(to + width, y + 1 < height ? gap : gap - (size_t)padding);
        }
        zero_floats(plane + (height + padding) * paddedWidth, padding * paddedWidth);
    }
    zero_floats(padded + channels * stride, total - channels * stride);
}

// The phase split and the transpose below are pure data movement (no arithmetic), so their
// vector forms give the same bits as the scalar ones kept for other architectures. Scalar,
// they cost a third to half of the convolution they fed: a strided scatter of every float of
// the sample (session 6's profile, "padding copy, dy transpose").

AVX512
void dpl_conv_direct_pad_phases(const float *input, int channels, int height, int width, int padding,
                                float *phases) {
    const int phaseHeight = (height + 2 * padding + 1) / 2, phaseWidth = (width + 2 * padding + 1) / 2;
    const size_t phasePlane = (size_t)phaseHeight * phaseWidth;
    const size_t total = dpl_conv_direct_phases_count(channels, height, width, padding);
    memset(phases, 0, sizeof(float) * total);
    // Input column 2i lands in column parity p mod 2 at i + ⌊p/2⌋; column 2i + 1 in parity
    // (p + 1) mod 2 at i + ⌊(p + 1)/2⌋. 32 input floats at a time: two (masked) loads, then
    // one two-source permute gathers the 16 even and one the 16 odd columns.
    const __m512i evenIndex = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i oddIndex = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const int evenParity = padding % 2, oddParity = (padding + 1) % 2;
    const int evenOffset = padding / 2, oddOffset = (padding + 1) / 2;
    for (int c = 0; c < channels; c++) {
        const float *source = input + (size_t)c * height * width;
        float *base = phases + (size_t)c * 4 * phasePlane;
        for (int y = 0; y < height; y++) {
            const int py = y + padding;
            const float *row = source + (size_t)y * width;
            float *rowBase = base + (size_t)(py % 2) * 2 * phasePlane + (size_t)(py / 2) * phaseWidth;
            float *evens = rowBase + (size_t)evenParity * phasePlane + evenOffset;
            float *odds = rowBase + (size_t)oddParity * phasePlane + oddOffset;
            for (int x = 0; x < width; x += 32) {
                const int left = width - x;
                const __mmask16 lowMask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
                const __mmask16 highMask = left >= 32 ? (__mmask16)0xFFFF
                    : left > 16 ? (__mmask16)((1u << (left - 16)) - 1u) : (__mmask16)0;
                const __m512 low = _mm512_maskz_loadu_ps(lowMask, row + x);
                const __m512 high = _mm512_maskz_loadu_ps(highMask, row + x + 16);
                const int evenCount = left >= 32 ? 16 : (left + 1) / 2, oddCount = left >= 32 ? 16 : left / 2;
                _mm512_mask_storeu_ps(evens + x / 2, (__mmask16)((1u << evenCount) - 1u),
                                      _mm512_permutex2var_ps(low, evenIndex, high));
                if (oddCount > 0)
                    _mm512_mask_storeu_ps(odds + x / 2, (__mmask16)((1u << oddCount) - 1u),
                                          _mm512_permutex2var_ps(low, oddIndex, high));
            }
        }
    }
}

/// Transposes 16 vectors in place: afterwards r[j] lane i holds what r[i] lane j held.
static inline __attribute__((always_inline)) AVX512 void transpose_16x16(__m512 r[16]) {
    __m512 t[16];
    // Pairs of rows interleaved: t[2i] = a0 b0 a1 b1 | a4 b4 a5 b5 | …, t[2i + 1] the columns 2, 3 (+4k).
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // Groups of four rows: r[4i + j] lane block L holds rows 4i … 4i + 3 of column j + 4L.
    for (int i = 0; i < 4; i++) {
        const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    // Gather column j + 4L's four 128-bit blocks (one per group of rows) into one vector.
    for (int j = 0; j < 4; j++) {
        const __m512 u0 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
        const __m512 u1 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
        const __m512 u2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
        const __m512 u3 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
        t[j] = _mm512_shuffle_f32x4(u0, u2, 0x88);
        t[j + 8] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
        t[j + 4] = _mm512_shuffle_f32x4(u1, u3, 0x88);
        t[j + 12] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
}

AVX512
void dpl_conv_direct_transpose(const float *dy, int outChannels, int positions, float *transposed) {
    const size_t rowStride = ((size_t)outChannels + 15) / 16 * 16;
    // 16 × 16 blocks through registers; the channels past outChannels read as zero.
    for (int p0 = 0; p0 < positions; p0 += 16) {
        const int count = positions - p0 < 16 ? positions - p0 : 16;
        const __mmask16 mask = (__mmask16)((1u << count) - 1u);
        for (size_t o0 = 0; o0 < rowStride; o0 += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = (int)o0 + i < outChannels
                    ? _mm512_maskz_loadu_ps(mask, dy + (o0 + i) * (size_t)positions + p0) : _mm512_setzero_ps();
            transpose_16x16(r);
            for (int i = 0; i < count; i++) _mm512_storeu_ps(transposed + (size_t)(p0 + i) * rowStride + o0, r[i]);
        }
    }
}

/// Where the vectors of one tile go: the lanes that are real output positions (a mask) and
/// the output index of the first of them (the valid lanes of a vector are consecutive outputs).
typedef struct {
    __mmask16 mask[MAX_VECTORS];
    int first[MAX_VECTORS];
} TileStores;

/// The register tile: MR rows of the packed block (its stride is BLOCK) × NV vectors.
/// `x` points at the tile's first grid position in channel 0 of the padded input.
static inline __attribute__((always_inline)) AVX512
void conv_tile(const int MR, const int NV, const float *x, size_t channelStride, int channels,
               const int *tapOffsets, int taps, const float *w, const float *init, const float *shift,
               const TileStores *stores, float *output, size_t outputPlane) {
    __m512 acc[BLOCK * MAX_VECTORS];
#pragma clang loop unroll(full)
    for (int m = 0; m < MR; m++) {
        const __m512 start = _mm512_set1_ps(init ? init[m] : 0.0f);
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[m * NV + v] = start;
    }
    for (int c = 0; c < channels; c++) {
        const float *xc = x + c * channelStride;
        for (int tap = 0; tap < taps; tap++) {
            const float *xs = xc + tapOffsets[tap];
            __m512 xv[MAX_VECTORS];
#pragma clang loop unroll(full)
            for (int v = 0; v < NV; v++) xv[v] = _mm512_loadu_ps(xs + 16 * v);
#pragma clang loop unroll(full)
            for (int m = 0; m < MR; m++) {
                const __m512 wv = _mm512_set1_ps(w[m]);
#pragma clang loop unroll(full)
                for (int v = 0; v < NV; v++) acc[m * NV + v] = _mm512_fmadd_ps(wv, xv[v], acc[m * NV + v]);
            }
            w += BLOCK;
        }
    }
#pragma clang loop unroll(full)
    for (int m = 0; m < MR; m++) {
        float *row = output + m * outputPlane;
        const __m512 s = _mm512_set1_ps(shift ? shift[m] : 0.0f);
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) {
            __m512 value = acc[m * NV + v];
            if (shift) value = _mm512_add_ps(value, s);
            const __mmask16 mask = stores->mask[v];
            if (mask == 0) continue;
            const __m512 packedLanes = _mm512_maskz_compress_ps(mask, value);
            const __mmask16 count = (__mmask16)((1u << __builtin_popcount(mask)) - 1u);
            _mm512_mask_storeu_ps(row + stores->first[v], count, packedLanes);
        }
    }
}

typedef void (*TileFunction)(const float *, size_t, int, const int *, int, const float *, const float *,
                             const float *, const TileStores *, float *, size_t);

#define TILE(MR, NV) \
    static AVX512 void conv_tile_##MR##_##NV(const float *x, size_t channelStride, int channels, \
        const int *tapOffsets, int taps, const float *w, const float *init, const float *shift, \
        const TileStores *stores, float *output, size_t outputPlane) { \
        conv_tile(MR, NV, x, channelStride, channels, tapOffsets, taps, w, init, shift, stores, output, outputPlane); \
    }
#define TILES(MR) TILE(MR, 1) TILE(MR, 2) TILE(MR, 3)
TILES(1) TILES(2) TILES(4) TILES(8)

/// [rows class][vectors − 1]; rows class 0..3 is 1, 2, 4, 8 rows.
static const TileFunction tileFunctions[4][MAX_VECTORS] = {
    { conv_tile_1_1, conv_tile_1_2, conv_tile_1_3 },
    { conv_tile_2_1, conv_tile_2_2, conv_tile_2_3 },
    { conv_tile_4_1, conv_tile_4_2, conv_tile_4_3 },
    { conv_tile_8_1, conv_tile_8_2, conv_tile_8_3 },
};

/// The output of every tap of every input channel read as one contiguous run of `planes`:
/// channel c's tap t starts at c·channelStride + tapOffsets[t] for grid position 0, and
/// output (oy, ox) sits at grid position oy·gridWidth + ox (ox < outWidth; the other grid
/// columns are computed and dropped).
static AVX512
void forward_on_grid(const float *planes, const float *packedWeight, int inChannels, int outChannels,
                     size_t channelStride, const int *tapOffsets, int taps, int gridWidth,
                     int outHeight, int outWidth, const float *bias, const float *shift, float *output);

AVX512
void dpl_conv_direct_forward_avx512(const float *padded, const float *packedWeight,
                                    int inChannels, int outChannels, int height, int width,
                                    int kernelHeight, int kernelWidth, int padding,
                                    const float *bias, const float *shift, float *output) {
    const int paddedWidth = (int)padded_width(width, kernelWidth, padding);
    const int outHeight = height + 2 * padding - kernelHeight + 1;
    const int outWidth = width + 2 * padding - kernelWidth + 1;
    const size_t channelStride = dpl_conv_direct_channel_stride(height, width, kernelHeight, kernelWidth, padding);
    const int taps = kernelHeight * kernelWidth;
    int tapOffsets[taps];
    for (int ky = 0; ky < kernelHeight; ky++)
        for (int kx = 0; kx < kernelWidth; kx++) tapOffsets[ky * kernelWidth + kx] = ky * paddedWidth + kx;
    forward_on_grid(padded, packedWeight, inChannels, outChannels, channelStride, tapOffsets, taps, paddedWidth,
                    outHeight, outWidth, bias, shift, output);
}

AVX512
void dpl_conv_direct_forward_stride2_avx512(const float *phases, const float *packedWeight,
                                            int inChannels, int outChannels, int height, int width,
                                            int kernelHeight, int kernelWidth, int padding,
                                            const float *bias, const float *shift, float *output) {
    const int phaseHeight = (height + 2 * padding + 1) / 2, phaseWidth = (width + 2 * padding + 1) / 2;
    const int outHeight = (height + 2 * padding - kernelHeight) / 2 + 1;
    const int outWidth = (width + 2 * padding - kernelWidth) / 2 + 1;
    const size_t phasePlane = (size_t)phaseHeight * phaseWidth;
    const int taps = kernelHeight * kernelWidth;
    int tapOffsets[taps];
    for (int ky = 0; ky < kernelHeight; ky++)
        for (int kx = 0; kx < kernelWidth; kx++)
            tapOffsets[ky * kernelWidth + kx] = (int)(((ky % 2) * 2 + kx % 2) * phasePlane)
                + (ky / 2) * phaseWidth + kx / 2;
    forward_on_grid(phases, packedWeight, inChannels, outChannels, 4 * phasePlane, tapOffsets, taps, phaseWidth,
                    outHeight, outWidth, bias, shift, output);
}

static AVX512
void forward_on_grid(const float *planes, const float *packedWeight, int inChannels, int outChannels,
                     size_t channelStride, const int *tapOffsets, int taps, int gridWidth,
                     int outHeight, int outWidth, const float *bias, const float *shift, float *output) {
    const float *padded = planes;
    const int paddedWidth = gridWidth;
    const size_t outputPlane = (size_t)outHeight * outWidth;
    const int gridPositions = outHeight * paddedWidth;
    const int vectors = (gridPositions + 15) / 16;
    const int blocks = (outChannels + BLOCK - 1) / BLOCK;
    const size_t blockWeights = (size_t)BLOCK * inChannels * taps;

    for (int firstVector = 0; firstVector < vectors; firstVector += MAX_VECTORS) {
        const int nv = vectors - firstVector < MAX_VECTORS ? vectors - firstVector : MAX_VECTORS;
        TileStores stores;
        for (int v = 0; v < nv; v++) {
            const int q0 = (firstVector + v) * 16;
            __mmask16 mask = 0;
            int first = -1;
            for (int lane = 0; lane < 16; lane++) {
                const int q = q0 + lane;
                if (q >= gridPositions) break;
                const int oy = q / paddedWidth, ox = q % paddedWidth;
                if (ox >= outWidth) continue;
                mask |= (__mmask16)(1u << lane);
                if (first < 0) first = oy * outWidth + ox;
            }
            stores.mask[v] = mask;
            stores.first[v] = first < 0 ? 0 : first;
        }
        const float *x = padded + (size_t)firstVector * 16;
        for (int b = 0; b < blocks; b++) {
            const int rows = outChannels - b * BLOCK < BLOCK ? outChannels - b * BLOCK : BLOCK;
            const int rowsClass = rows > 4 ? 3 : rows > 2 ? 2 : rows > 1 ? 1 : 0;
            const int o0 = b * BLOCK;
            if (rows == (1 << rowsClass)) {
                tileFunctions[rowsClass][nv - 1](x, channelStride, inChannels, tapOffsets, taps,
                                                 packedWeight + b * blockWeights, bias ? bias + o0 : NULL,
                                                 shift ? shift + o0 : NULL, &stores, output + o0 * outputPlane,
                                                 outputPlane);
            } else {
                // A partial block (3, 5, 6 or 7 rows): the rows class above it, into scratch
                // rows for the padding rows. Only the real rows are copied out.
                float scratchOut[BLOCK * MAX_VECTORS * 16];
                float initRows[BLOCK] = {0}, shiftRows[BLOCK] = {0};
                for (int m = 0; m < rows; m++) {
                    if (bias) initRows[m] = bias[o0 + m];
                    if (shift) shiftRows[m] = shift[o0 + m];
                }
                TileStores local = stores;
                int base = -1;
                for (int v = 0; v < nv; v++)
                    if (local.mask[v] && base < 0) base = local.first[v];
                if (base < 0) continue;
                for (int v = 0; v < nv; v++) local.first[v] -= base;
                const size_t scratchPlane = MAX_VECTORS * 16;
                tileFunctions[rowsClass][nv - 1](x, channelStride, inChannels, tapOffsets, taps,
                                                 packedWeight + b * blockWeights, bias ? initRows : NULL,
                                                 shift ? shiftRows : NULL, &local, scratchOut, scratchPlane);
                int count = 0;
                for (int v = 0; v < nv; v++) count += __builtin_popcount(local.mask[v]);
                for (int m = 0; m < rows; m++)
                    memcpy(output + (o0 + m) * outputPlane + base, scratchOut + m * scratchPlane,
                           sizeof(float) * count);
            }
        }
    }
}

// MARK: - Weight gradient

/// The register tile of the weight gradient: OV vectors of 16 output channels × NC input
/// channels × 9 taps, for one sample. Each position costs OV loads of dy, 9·NC broadcasts of x
/// and 9·NC·OV FMAs; OV = 2, NC = 1 uses 18 accumulators. They start from the accumulator
/// buffer (or zero for a chunk's first sample) and go back to it: a float stored and reloaded
/// is unchanged, so the sum is the same as if the registers had run on over every sample.
static inline __attribute__((always_inline)) AVX512
void weight_gradient_tile(const int OV, const int NC, const float *x, const float *dy, size_t rowStride,
                          int inChannels, int c0, int v0, size_t channelStride, int outHeight, int outWidth,
                          int paddedWidth, float *accumulator, int first) {
    __m512 acc[2 * 9 * 2];
#pragma clang loop unroll(full)
    for (int v = 0; v < OV; v++)
#pragma clang loop unroll(full)
        for (int j = 0; j < NC * 9; j++) {
            float *slot = accumulator + (((size_t)(v0 + v) * inChannels + c0) * 9 + j) * 16;
            acc[v * NC * 9 + j] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(slot);
        }
    x += c0 * channelStride;
    dy += v0 * 16;
    for (int oy = 0; oy < outHeight; oy++) {
        const float *row = x + (size_t)oy * paddedWidth;
        const float *d = dy + (size_t)oy * outWidth * rowStride;
        for (int ox = 0; ox < outWidth; ox++) {
            __m512 dv[2];
#pragma clang loop unroll(full)
            for (int v = 0; v < OV; v++) dv[v] = _mm512_loadu_ps(d + 16 * v);
#pragma clang loop unroll(full)
            for (int c = 0; c < NC; c++) {
#pragma clang loop unroll(full)
                for (int ky = 0; ky < 3; ky++) {
#pragma clang loop unroll(full)
                    for (int kx = 0; kx < 3; kx++) {
                        const __m512 xv = _mm512_set1_ps(row[c * channelStride + ky * paddedWidth + kx + ox]);
#pragma clang loop unroll(full)
                        for (int v = 0; v < OV; v++) {
                            const int i = (v * NC + c) * 9 + ky * 3 + kx;
                            acc[i] = _mm512_fmadd_ps(dv[v], xv, acc[i]);
                        }
                    }
                }
            }
            d += rowStride;
        }
    }
#pragma clang loop unroll(full)
    for (int v = 0; v < OV; v++)
#pragma clang loop unroll(full)
        for (int j = 0; j < NC * 9; j++)
            _mm512_storeu_ps(accumulator + (((size_t)(v0 + v) * inChannels + c0) * 9 + j) * 16, acc[v * NC * 9 + j]);
}

typedef void (*WeightGradientTile)(const float *, const float *, size_t, int, int, int, size_t, int, int, int,
                                   float *, int);
#define WG_TILE(OV, NC) \
    static AVX512 void weight_gradient_tile_##OV##_##NC(const float *x, const float *dy, size_t rowStride, \
        int inChannels, int c0, int v0, size_t channelStride, int outHeight, int outWidth, int paddedWidth, \
        float *accumulator, int first) { \
        weight_gradient_tile(OV, NC, x, dy, rowStride, inChannels, c0, v0, channelStride, outHeight, outWidth, \
                             paddedWidth, accumulator, first); \
    }
WG_TILE(2, 1) WG_TILE(1, 2) WG_TILE(1, 1)

AVX512
void dpl_conv_direct_weight_gradient_3x3_avx512(const float *padded, const float *transposed, int inChannels,
                                                int outChannels, int height, int width, int padding,
                                                float *accumulator, int first) {
    const int paddedWidth = (int)padded_width(width, 3, padding);
    const int outHeight = height + 2 * padding - 2, outWidth = width + 2 * padding - 2;
    const size_t channelStride = dpl_conv_direct_channel_stride(height, width, 3, 3, padding);
    const size_t rowStride = ((size_t)outChannels + 15) / 16 * 16;
    const int vectors = (int)(rowStride / 16);
    for (int v0 = 0; v0 < vectors;) {
        const int ov = vectors - v0 >= 2 ? 2 : 1;
        for (int c0 = 0; c0 < inChannels;) {
            const int nc = ov == 1 && inChannels - c0 >= 2 ? 2 : 1;
            const WeightGradientTile kernel = ov == 2 ? weight_gradient_tile_2_1
                : nc == 2 ? weight_gradient_tile_1_2 : weight_gradient_tile_1_1;
            kernel(padded, transposed, rowStride, inChannels, c0, v0, channelStride, outHeight, outWidth,
                   paddedWidth, accumulator, first);
            c0 += nc;
        }
        v0 += ov;
    }
}

#else

void dpl_conv_direct_pad_phases(const float *input, int channels, int height, int width, int padding,
                                float *phases) {
    const int phaseHeight = (height + 2 * padding + 1) / 2, phaseWidth = (width + 2 * padding + 1) / 2;
    const size_t phasePlane = (size_t)phaseHeight * phaseWidth;
    const size_t total = dpl_conv_direct_phases_count(channels, height, width, padding);
    memset(phases, 0, sizeof(float) * total);
    for (int c = 0; c < channels; c++) {
        const float *source = input + (size_t)c * height * width;
        float *base = phases + (size_t)c * 4 * phasePlane;
        for (int y = 0; y < height; y++) {
            const int py = y + padding;
            const float *row = source + (size_t)y * width;
            // Input column x lands in column parity (x + padding) mod 2 at (x + padding) / 2.
            for (int parity = 0; parity < 2; parity++) {
                const int x0 = (parity - padding % 2 + 2) % 2;
                float *target = base + ((py % 2) * 2 + parity) * phasePlane + (size_t)(py / 2) * phaseWidth
                    + (x0 + padding) / 2;
                for (int x = x0, i = 0; x < width; x += 2, i++) target[i] = row[x];
            }
        }
    }
}

void dpl_conv_direct_transpose(const float *dy, int outChannels, int positions, float *transposed) {
    const size_t rowStride = ((size_t)outChannels + 15) / 16 * 16;
    // Blocks of 16 positions keep both the reads and the writes within a few cache lines.
    for (int p0 = 0; p0 < positions; p0 += 16) {
        const int p1 = p0 + 16 < positions ? p0 + 16 : positions;
        for (int o = 0; o < outChannels; o++)
            for (int p = p0; p < p1; p++) transposed[p * rowStride + o] = dy[(size_t)o * positions + p];
        for (int p = p0; p < p1; p++)
            for (size_t o = outChannels; o < rowStride; o++) transposed[p * rowStride + o] = 0;
    }
}

void dpl_conv_direct_forward_avx512(const float *padded, const float *packedWeight,
                                    int inChannels, int outChannels, int height, int width,
                                    int kernelHeight, int kernelWidth, int padding,
                                    const float *bias, const float *shift, float *output) {
    // Never called: VectorISA only chooses AVX-512 kernels on x86-64 CPUs that have it.
    (void)padded; (void)packedWeight; (void)inChannels; (void)outChannels; (void)height; (void)width;
    (void)kernelHeight; (void)kernelWidth; (void)padding; (void)bias; (void)shift; (void)output;
}

void dpl_conv_direct_pad(const float *input, int channels, int height, int width,
                         int kernelHeight, int kernelWidth, int padding, float *padded) {
    // Never called, as above.
    (void)input; (void)channels; (void)height; (void)width; (void)kernelHeight; (void)kernelWidth;
    (void)padding; (void)padded;
}

void dpl_conv_direct_forward_stride2_avx512(const float *phases, const float *packedWeight,
                                            int inChannels, int outChannels, int height, int width,
                                            int kernelHeight, int kernelWidth, int padding,
                                            const float *bias, const float *shift, float *output) {
    // Never called, as above.
    (void)phases; (void)packedWeight; (void)inChannels; (void)outChannels; (void)height; (void)width;
    (void)kernelHeight; (void)kernelWidth; (void)padding; (void)bias; (void)shift; (void)output;
}

void dpl_conv_direct_weight_gradient_3x3_avx512(const float *padded, const float *transposed, int inChannels,
                                                int outChannels, int height, int width, int padding,
                                                float *accumulator, int first) {
    // Never called, as above.
    (void)padded; (void)transposed; (void)inChannels; (void)outChannels; (void)height; (void)width;
    (void)padding; (void)accumulator; (void)first;
}

#endif
