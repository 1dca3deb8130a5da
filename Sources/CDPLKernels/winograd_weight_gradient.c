// The weight gradient of a Winograd convolution (see include/winograd.h): with U = G g Gᵀ and
// the forward's M[ξ] = Σ_c U[ξ] ⊙ V[ξ], Y = Aᵀ M A,
//
//     dM = A dY Aᵀ per tile,   dU[ξ] (O × C) = Σ_tiles dM[ξ] · V[ξ]ᵀ,   dW = Gᵀ dU G,
//
// (m + 2)² multiply-adds per tile, input and output channel where the direct kernel does 9m²:
// 2.25× fewer for F(2×2), 4× for F(4×4).
//
// Why a kernel of its own: the same sums as OpenBLAS products over the tiles were slower than
// the direct kernel (docs/performance.md, session 8: the transforms' scattered stores and the
// operands' packing). Here dM is computed vectorized over 16 output channels, from dY
// transposed to [position][channel], so it is stored in the layout the register tile reads
// (dM[ξ][tile][o]) with no shuffles, and V is the forward's input transform, [ξ][c][tile].
// The register tile sums dM[ξ][t][o] · V[ξ][c][t] over the tiles with 16 output channels per
// lane, as the direct kernel's weight-gradient tile does over positions.
//
// Determinism: dU[ξ][c][o] is summed sample by sample (in the order of the calls) and tile
// slot by tile slot from zero; empty slots add exact zeros (their dM is 0). dW then combines
// the (m + 2)² sums in one fixed order.
#include "winograd.h"
#include "winograd_internal.h"
#include "convolution.h"

#include <string.h>

/// Output channels rounded up to whole vectors of 16.
static size_t padded_channels(int outChannels) { return ((size_t)outChannels + 15) / 16 * 16; }

/// V[ξ] is [C][T] with T the sample's tile slots, 16 floats between two ξ (a stride that is a
/// multiple of 4 KB would put a vector's stores to every ξ in one L1 set); dM[ξ] is [T][O₁₆].
static size_t input_position_stride(const TileLayout *layout) {
    return (size_t)layout->channels * layout->vectors * 16 + 16;
}
static size_t gradient_position_stride(const TileLayout *layout, int outChannels) {
    return (size_t)layout->vectors * 16 * padded_channels(outChannels) + 16;
}

size_t dpl_winograd_weight_gradient_scratch_count(int tileSize, int inChannels, int outChannels, int height,
                                                  int width) {
    const TileLayout layout = winograd_tile_layout(winograd_valid_tile_size(tileSize), inChannels, height, width);
    return (size_t)layout.positions * (input_position_stride(&layout) + gradient_position_stride(&layout, outChannels))
        + dpl_conv_direct_transposed_count(outChannels, height * width);
}

size_t dpl_winograd_weight_accumulator_count(int tileSize, int inChannels, int outChannels) {
    const int m = winograd_valid_tile_size(tileSize);
    // dU [ξ][C][O₁₆].
    return (size_t)((m + 2) * (m + 2)) * inChannels * padded_channels(outChannels);
}

#if defined(__x86_64__)

// MARK: - dM = A dY Aᵀ

/// A g for four (F(4×4)) values: rows of A = (Aᵀ)ᵀ are [1 0 0 0], [1 1 1 1], [1 −1 1 −1],
/// [1 2 4 8], [1 −2 4 −8], [0 0 0 1].
static inline __attribute__((always_inline)) AVX512 void f43_gradient_1d(const __m512 g[4], __m512 o[6]) {
    const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f);
    const __m512 even = _mm512_add_ps(g[0], g[2]), odd = _mm512_add_ps(g[1], g[3]);
    const __m512 even4 = _mm512_fmadd_ps(four, g[2], g[0]), odd4 = _mm512_mul_ps(two, _mm512_fmadd_ps(four, g[3], g[1]));
    o[0] = g[0];
    o[1] = _mm512_add_ps(even, odd);
    o[2] = _mm512_sub_ps(even, odd);
    o[3] = _mm512_add_ps(even4, odd4);
    o[4] = _mm512_sub_ps(even4, odd4);
    o[5] = g[3];
}

/// A g for two (F(2×2)) values: rows of A are [1 0], [1 1], [1 −1], [0 −1].
static inline __attribute__((always_inline)) AVX512 void f23_gradient_1d(const __m512 g[2], __m512 o[4]) {
    o[0] = g[0];
    o[1] = _mm512_add_ps(g[0], g[1]);
    o[2] = _mm512_sub_ps(g[0], g[1]);
    o[3] = _mm512_sub_ps(_mm512_setzero_ps(), g[1]);
}

/// The tile in slot `slot` of vector v, or 0 when the slot holds none. F(4×4)'s input
/// transform leaves slot 4q + p holding tile 4p + q of the vector's run (winograd_f43.c).
static int slot_tile(const TileLayout *layout, int v, int slot, int *ty, int *tx) {
    int firstRow, firstTile;
    winograd_vector_origin(layout, v, &firstRow, &firstTile);
    const int lambda = layout->tileSize == 4 ? 4 * (slot % 4) + slot / 4 : slot;
    const int perRow = 16 / layout->rowsPerVector;
    *ty = firstRow + lambda / perRow;
    *tx = firstTile + lambda % perRow;
    return *ty < layout->tilesHigh && *tx < layout->tilesWide;
}

/// dM[ξ][t][o] for every tile slot t of the sample and every 16 output channels, from dY
/// transposed to [position][O₁₆] (zeros past the plane's edge and in empty slots).
static AVX512 void transform_gradient(const TileLayout *layout, const float *transposed, int outChannels,
                                      int height, int width, float *gradient) {
    const int m = layout->tileSize, n = layout->tileInput;
    const size_t row = padded_channels(outChannels), stride = gradient_position_stride(layout, outChannels);
    for (int v = 0; v < layout->vectors; v++) {
        for (int slot = 0; slot < 16; slot++) {
            float *target = gradient + (size_t)(16 * v + slot) * row;
            int ty, tx;
            if (!slot_tile(layout, v, slot, &ty, &tx)) {
                for (int xi = 0; xi < layout->positions; xi++) memset(target + xi * stride, 0, sizeof(float) * row);
                continue;
            }
            for (size_t o0 = 0; o0 < row; o0 += 16) {
                __m512 g[4][4];
                for (int i = 0; i < m; i++)
                    for (int k = 0; k < m; k++) {
                        const int y = m * ty + i, x = m * tx + k;
                        g[i][k] = y < height && x < width ? _mm512_loadu_ps(transposed + ((size_t)y * width + x) * row + o0)
                                                         : _mm512_setzero_ps();
                    }
                // A g Aᵀ: columns first (r[a][k] = (A g)[a][k]), then rows.
                __m512 r[6][4];
                for (int k = 0; k < m; k++) {
                    __m512 column[4], out[6];
                    for (int i = 0; i < m; i++) column[i] = g[i][k];
                    if (m == 4) f43_gradient_1d(column, out); else f23_gradient_1d(column, out);
                    for (int a = 0; a < n; a++) r[a][k] = out[a];
                }
                for (int a = 0; a < n; a++) {
                    __m512 out[6];
                    if (m == 4) f43_gradient_1d(r[a], out); else f23_gradient_1d(r[a], out);
                    for (int b = 0; b < n; b++) _mm512_storeu_ps(target + (size_t)(n * a + b) * stride + o0, out[b]);
                }
            }
        }
    }
}

// MARK: - The register tile

/// dU[ξ][c0 + j][o0 + 16·w] for j < NC, w < OV, summed over the sample's T tile slots:
/// per slot OV loads of dM and NC broadcasts of V for OV·NC FMAs (OV·NC ≤ 24 accumulators).
/// They start from dU (or zero for a chunk's first sample) and go back to it: a float stored
/// and reloaded is unchanged, so the sum is the same as if the registers ran on.
static inline __attribute__((always_inline)) AVX512
void gradient_tile(const int OV, const int NC, const float *dm, size_t dmRow, const float *v, size_t slots,
                   float *sums, size_t sumsRow, int first) {
    __m512 acc[24];
#pragma clang loop unroll(full)
    for (int j = 0; j < NC; j++)
#pragma clang loop unroll(full)
        for (int w = 0; w < OV; w++)
            acc[j * OV + w] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(sums + j * sumsRow + 16 * w);
    for (size_t t = 0; t < slots; t++) {
        __m512 d[4];
#pragma clang loop unroll(full)
        for (int w = 0; w < OV; w++) d[w] = _mm512_loadu_ps(dm + t * dmRow + 16 * w);
#pragma clang loop unroll(full)
        for (int j = 0; j < NC; j++) {
            const __m512 x = _mm512_set1_ps(v[j * slots + t]);
#pragma clang loop unroll(full)
            for (int w = 0; w < OV; w++) acc[j * OV + w] = _mm512_fmadd_ps(d[w], x, acc[j * OV + w]);
        }
    }
#pragma clang loop unroll(full)
    for (int j = 0; j < NC; j++)
#pragma clang loop unroll(full)
        for (int w = 0; w < OV; w++) _mm512_storeu_ps(sums + j * sumsRow + 16 * w, acc[j * OV + w]);
}

typedef void (*GradientTile)(const float *, size_t, const float *, size_t, float *, size_t, int);

#define GRADIENT_TILE(OV, NC) \
    static AVX512 __attribute__((noinline)) void gradient_tile_##OV##_##NC(const float *dm, size_t dmRow, \
        const float *v, size_t slots, float *sums, size_t sumsRow, int first) { \
        gradient_tile(OV, NC, dm, dmRow, v, slots, sums, sumsRow, first); \
    }
#define GRADIENT_TILES_6(OV) GRADIENT_TILE(OV, 1) GRADIENT_TILE(OV, 2) GRADIENT_TILE(OV, 3) GRADIENT_TILE(OV, 4) \
    GRADIENT_TILE(OV, 5) GRADIENT_TILE(OV, 6)
#define GRADIENT_TILES_12(OV) GRADIENT_TILES_6(OV) GRADIENT_TILE(OV, 7) GRADIENT_TILE(OV, 8) GRADIENT_TILE(OV, 9) \
    GRADIENT_TILE(OV, 10) GRADIENT_TILE(OV, 11) GRADIENT_TILE(OV, 12)
GRADIENT_TILES_12(1) GRADIENT_TILES_12(2) GRADIENT_TILES_6(4)

/// [OV class: 1, 2, 4 vectors of output channels][NC − 1]; 4 vectors take at most 6 channels.
static const GradientTile gradientTiles[3][12] = {
    { gradient_tile_1_1, gradient_tile_1_2, gradient_tile_1_3, gradient_tile_1_4, gradient_tile_1_5,
      gradient_tile_1_6, gradient_tile_1_7, gradient_tile_1_8, gradient_tile_1_9, gradient_tile_1_10,
      gradient_tile_1_11, gradient_tile_1_12 },
    { gradient_tile_2_1, gradient_tile_2_2, gradient_tile_2_3, gradient_tile_2_4, gradient_tile_2_5,
      gradient_tile_2_6, gradient_tile_2_7, gradient_tile_2_8, gradient_tile_2_9, gradient_tile_2_10,
      gradient_tile_2_11, gradient_tile_2_12 },
    { gradient_tile_4_1, gradient_tile_4_2, gradient_tile_4_3, gradient_tile_4_4, gradient_tile_4_5,
      gradient_tile_4_6, NULL, NULL, NULL, NULL, NULL, NULL },
};

// MARK: - One sample

AVX512
void dpl_winograd_weight_gradient_avx512(int tileSize, const float *input, const float *gradOutput, int inChannels,
                                         int outChannels, int height, int width, float *scratch, float *accumulator,
                                         int first) {
    const TileLayout layout = winograd_tile_layout(winograd_valid_tile_size(tileSize), inChannels, height, width);
    const size_t slots = (size_t)layout.vectors * 16, row = padded_channels(outChannels);
    const size_t inputStride = input_position_stride(&layout), gradientStride = gradient_position_stride(&layout, outChannels);
    float *transformedInput = scratch;
    float *transformedGradient = transformedInput + (size_t)layout.positions * inputStride;
    float *transposed = transformedGradient + (size_t)layout.positions * gradientStride;

    // V[ξ][c][t]: the forward's input transform, all the sample's vectors in one row.
    const WinogradInputFunction inputFunction = winograd_input_function(&layout);
    for (int v = 0; v < layout.vectors; v++) {
        InputMoves moves;
        winograd_plan_input(&layout, v, height, width, moves);
        inputFunction(input, inChannels, (size_t)height * width, (const PartMoves (*)[2][MAX_PARTS])moves, inputStride,
                      slots, transformedInput + 16 * (size_t)v);
    }
    dpl_conv_direct_transpose(gradOutput, outChannels, height * width, transposed);
    transform_gradient(&layout, transposed, outChannels, height, width, transformedGradient);

    // dU[ξ][c][o] += Σ_t dM[ξ][t][o] · V[ξ][c][t], ξ outside so that one ξ's V and dM stay in L1.
    const size_t sumsPosition = (size_t)inChannels * row;
    for (int xi = 0; xi < layout.positions; xi++) {
        const float *dm = transformedGradient + xi * gradientStride, *vx = transformedInput + xi * inputStride;
        float *sums = accumulator + xi * sumsPosition;
        for (size_t o0 = 0; o0 < row;) {
            const int vectorsLeft = (int)((row - o0) / 16);
            const int ov = vectorsLeft >= 4 ? 4 : vectorsLeft >= 2 ? 2 : 1;
            const int ovClass = ov == 4 ? 2 : ov - 1, maxChannels = ov == 4 ? 6 : 12;
            for (int c0 = 0; c0 < inChannels;) {
                const int nc = inChannels - c0 < maxChannels ? inChannels - c0 : maxChannels;
                gradientTiles[ovClass][nc - 1](dm + o0, row, vx + (size_t)c0 * slots, slots, sums + (size_t)c0 * row + o0,
                                               row, first);
                c0 += nc;
            }
            o0 += 16 * (size_t)ov;
        }
    }
}

// MARK: - dW = Gᵀ dU G

/// Gᵀ u for six (F(4×4)) values: the columns of G are [¼ −⅙ −⅙ 1/24 1/24 0],
/// [0 −⅙ ⅙ 1/12 −1/12 0], [0 −⅙ −⅙ ⅙ ⅙ 1].
static inline __attribute__((always_inline)) AVX512 void f43_finish_1d(const __m512 u[6], __m512 w[3]) {
    const __m512 quarter = _mm512_set1_ps(0.25f), sixth = _mm512_set1_ps(1.0f / 6.0f);
    const __m512 twelfth = _mm512_set1_ps(1.0f / 12.0f), twentyFourth = _mm512_set1_ps(1.0f / 24.0f);
    const __m512 s12 = _mm512_add_ps(u[1], u[2]), d21 = _mm512_sub_ps(u[2], u[1]);
    const __m512 s34 = _mm512_add_ps(u[3], u[4]), d34 = _mm512_sub_ps(u[3], u[4]);
    w[0] = _mm512_fmadd_ps(twentyFourth, s34, _mm512_fnmadd_ps(sixth, s12, _mm512_mul_ps(quarter, u[0])));
    w[1] = _mm512_fmadd_ps(twelfth, d34, _mm512_mul_ps(sixth, d21));
    w[2] = _mm512_add_ps(_mm512_mul_ps(sixth, _mm512_sub_ps(s34, s12)), u[5]);
}

/// Gᵀ u for four (F(2×2)) values: the columns of G are [1 ½ ½ 0], [0 ½ −½ 0], [0 ½ ½ 1].
static inline __attribute__((always_inline)) AVX512 void f23_finish_1d(const __m512 u[4], __m512 w[3]) {
    const __m512 half = _mm512_set1_ps(0.5f);
    const __m512 s = _mm512_mul_ps(half, _mm512_add_ps(u[1], u[2]));
    w[0] = _mm512_add_ps(u[0], s);
    w[1] = _mm512_mul_ps(half, _mm512_sub_ps(u[1], u[2]));
    w[2] = _mm512_add_ps(s, u[3]);
}

AVX512
void dpl_winograd_weight_gradient_finish(int tileSize, const float *accumulator, int inChannels, int outChannels,
                                         float *direct) {
    const int m = winograd_valid_tile_size(tileSize), n = m + 2;
    const size_t row = padded_channels(outChannels), sumsPosition = (size_t)inChannels * row;
    const size_t patch = (size_t)inChannels * 9;
    for (int c = 0; c < inChannels; c++) {
        for (size_t o0 = 0; o0 < row; o0 += 16) {
            // Gᵀ dU G: rows (ξ = n·a + b, a the row) first, then columns.
            __m512 rows[3][6];
            for (int b = 0; b < n; b++) {
                __m512 column[6], w[3];
                for (int a = 0; a < n; a++)
                    column[a] = _mm512_loadu_ps(accumulator + (size_t)(n * a + b) * sumsPosition + (size_t)c * row + o0);
                if (m == 4) f43_finish_1d(column, w); else f23_finish_1d(column, w);
                for (int k = 0; k < 3; k++) rows[k][b] = w[k];
            }
            for (int k = 0; k < 3; k++) {
                __m512 w[3];
                if (m == 4) f43_finish_1d(rows[k], w); else f23_finish_1d(rows[k], w);
                // The direct kernel's layout: [o / 16][c][tap][o % 16].
                for (int l = 0; l < 3; l++)
                    _mm512_storeu_ps(direct + ((o0 / 16) * patch + (size_t)c * 9 + 3 * k + l) * 16, w[l]);
            }
        }
    }
}

#else

void dpl_winograd_weight_gradient_avx512(int tileSize, const float *input, const float *gradOutput, int inChannels,
                                         int outChannels, int height, int width, float *scratch, float *accumulator,
                                         int first) {
    // Never called: VectorISA only chooses AVX-512 kernels on x86-64 CPUs that have it.
    (void)tileSize; (void)input; (void)gradOutput; (void)inChannels; (void)outChannels; (void)height; (void)width;
    (void)scratch; (void)accumulator; (void)first;
}

void dpl_winograd_weight_gradient_finish(int tileSize, const float *accumulator, int inChannels, int outChannels,
                                         float *direct) {
    (void)tileSize; (void)accumulator; (void)inChannels; (void)outChannels; (void)direct;
}

#endif
