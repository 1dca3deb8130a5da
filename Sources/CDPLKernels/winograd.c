// Winograd F(2×2, 3×3) convolution (see include/winograd.h for the algorithm and layouts).
#include "winograd.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// 8 output channels × 3 vectors of 16 tiles = 24 zmm accumulators, the direct kernel's tile:
// 11 loads (3 of V, 8 broadcasts of U) per 24 FMAs, so both FMA ports can stay busy.
enum { BLOCK = 8, MAX_VECTORS = 3, TILE_POSITIONS = 16 };

/// Tiles per row and column: ⌈size / 2⌉ (an odd size's last tile has one real row or column).
static int tiles_along(int size) { return (size + 1) / 2; }

/// Where each tile sits in V's rows. A tile row takes S slots: tilesWide rounded up to a
/// power of two up to 16 (the U-Net's 14, 7 and 4 tiles take 16, 8 and 4), else to a multiple
/// of 16. So a vector of 16 slots holds G = 16 / S whole tile rows (or one 16-tile chunk of a
/// longer row), and its input and output are G runs of consecutive columns: plain masked
/// loads and stores, no gathers or scatters. The U-Net's 14×14 and 7×7 planes take the same
/// vector count as a dense numbering of their tiles (4 and 1); 28×28 one more (14, not 13).
typedef struct {
    int tilesHigh, tilesWide;
    /// G: tile rows per vector (1 when a tile row takes one or more whole vectors).
    int rowsPerVector;
    /// Vectors per group of tile rows: S / 16 when S ≥ 16, else 1.
    int chunksPerRow;
    /// A vector's input or output columns, as the 32 floats of two vectors, are G runs
    /// ("segments") of 32 / G floats, one per tile row.
    int segmentLength;
    int vectors;
    /// The matrix products take the vectors in tile blocks of at most 3 (see tile_block).
    int tileBlocks;
    int channels;
} TileLayout;

static TileLayout tile_layout(int channels, int height, int width) {
    TileLayout layout;
    layout.tilesHigh = tiles_along(height);
    layout.tilesWide = tiles_along(width);
    int slots = 1;
    while (slots < layout.tilesWide && slots < 16) slots *= 2;
    if (layout.tilesWide > 16) slots = (layout.tilesWide + 15) / 16 * 16;
    layout.rowsPerVector = slots < 16 ? 16 / slots : 1;
    layout.chunksPerRow = slots < 16 ? 1 : slots / 16;
    layout.segmentLength = 32 / layout.rowsPerVector;
    const int groups = (layout.tilesHigh + layout.rowsPerVector - 1) / layout.rowsPerVector;
    layout.vectors = groups * layout.chunksPerRow;
    layout.tileBlocks = (layout.vectors + MAX_VECTORS - 1) / MAX_VECTORS;
    layout.channels = channels;
    return layout;
}

/// Tile block `block`: its first vector and its vector count. As even as possible (14 vectors:
/// 3 3 3 3 2, not 3 3 3 3 1; 4: 2 2), since a 1-vector tile does 8 FMAs per 9 loads.
static void tile_block(const TileLayout *layout, int block, int *firstVector, int *count) {
    const int base = layout->vectors / layout->tileBlocks, extra = layout->vectors % layout->tileBlocks;
    *count = base + (block < extra ? 1 : 0);
    *firstVector = block * base + (block < extra ? block : extra);
}

/// V is stored tile block by tile block, each [16 ξ][C][its vectors · 16], so that one
/// block's one ξ (what a run of the matrix-product tile reads, once per output-channel block)
/// is contiguous and stays in L1. Between two ξ 16 floats more than the channels need: the
/// input transform writes the 16 ξ of one vector at once, and a stride that is a multiple of
/// 4 KB would put all 16 in one L1 set.
static size_t position_stride(const TileLayout *layout, int vectorsInBlock) {
    return (size_t)layout->channels * vectorsInBlock * 16 + 16;
}

static size_t tile_block_offset(const TileLayout *layout, int block) {
    int firstVector, count;
    tile_block(layout, block, &firstVector, &count);
    return TILE_POSITIONS * ((size_t)layout->channels * 16 * firstVector + 16 * (size_t)block);
}

/// The matrix products M, [output channels rounded up to 8][16 ξ][48 tiles], for one tile block.
static size_t products_count(int outChannels) {
    return ((size_t)outChannels + BLOCK - 1) / BLOCK * BLOCK * TILE_POSITIONS * MAX_VECTORS * 16;
}

size_t dpl_winograd_packed_weight_count(int outChannels, int inChannels) {
    const size_t blocks = ((size_t)outChannels + BLOCK - 1) / BLOCK;
    return blocks * TILE_POSITIONS * (size_t)inChannels * BLOCK;
}

size_t dpl_winograd_scratch_count(int inChannels, int outChannels, int height, int width) {
    const TileLayout layout = tile_layout(inChannels, height, width);
    return tile_block_offset(&layout, layout.tileBlocks) + products_count(outChannels);
}

/// G g Gᵀ of one 3×3 kernel `g` (row-major, element (ky, kx) at g[ky·rowStep + kx·colStep],
/// which reads a flipped kernel with negative steps), into u[4·i + j].
/// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
static void transform_kernel(const float *g, int rowStep, int colStep, float u[16]) {
    float gg[4][3];
    for (int k = 0; k < 3; k++) {
        const float a = g[k * colStep], b = g[rowStep + k * colStep], c = g[2 * rowStep + k * colStep];
        gg[0][k] = a;
        gg[1][k] = 0.5f * ((a + b) + c);
        gg[2][k] = 0.5f * ((a - b) + c);
        gg[3][k] = c;
    }
    for (int i = 0; i < 4; i++) {
        const float a = gg[i][0], b = gg[i][1], c = gg[i][2];
        u[4 * i + 0] = a;
        u[4 * i + 1] = 0.5f * ((a + b) + c);
        u[4 * i + 2] = 0.5f * ((a - b) + c);
        u[4 * i + 3] = c;
    }
}

void dpl_winograd_pack_weight(const float *weight, int outChannels, int inChannels, int transposeFlip,
                              float *packed) {
    const int blocks = (outChannels + BLOCK - 1) / BLOCK;
    const size_t positionSize = (size_t)inChannels * BLOCK;
    const size_t blockSize = TILE_POSITIONS * positionSize;
    // packed[block][ξ][c][row]; the rows past outChannels in the last block are zero.
    if (outChannels % BLOCK) memset(packed + (size_t)(blocks - 1) * blockSize, 0, sizeof(float) * blockSize);
    for (int o = 0; o < outChannels; o++) {
        float *target = packed + (size_t)(o / BLOCK) * blockSize + o % BLOCK;
        for (int c = 0; c < inChannels; c++) {
            float u[16];
            if (transposeFlip) {
                // W'[o, c, ky, kx] = W[c, o, 2 − ky, 2 − kx]: start at the last tap, step backwards.
                transform_kernel(weight + ((size_t)c * outChannels + o) * 9 + 8, -3, -1, u);
            } else {
                transform_kernel(weight + ((size_t)o * inChannels + c) * 9, 3, 1, u);
            }
            for (int xi = 0; xi < TILE_POSITIONS; xi++) target[xi * positionSize + (size_t)c * BLOCK] = u[xi];
        }
    }
}

#if defined(__x86_64__)

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

// MARK: - Moving a vector's columns

/// The masked moves (loads or stores) between one half (16 lanes) of a pair of vectors and
/// the rows its segments cover: one per segment in the half (1 when a segment spans both
/// halves, else G / 2), so that their number is a constant of the layout and the loops over
/// them unroll. Lane λ of move n is float offset[n] + λ of the plane; an empty mask (a tile
/// row past the last, a padding row) moves nothing and never faults.
typedef struct {
    int offset[8];
    __mmask16 mask[8];
} HalfMoves;

static int moves_per_half(const TileLayout *layout) {
    return layout->rowsPerVector == 1 ? 1 : layout->rowsPerVector / 2;
}

/// The moves for half `half` of a pair whose segment j holds row rowOffset[j] (−1: none) from
/// column firstColumn on: pair lane l of segment j is column firstColumn + l − j·segmentLength.
/// Columns outside [0, width) are masked off (the padding), so a move may start before its row.
/// Lanes [low, high) of 16 as a mask (empty when high ≤ low).
static __mmask16 lane_range(int low, int high) {
    low = low < 0 ? 0 : low;
    high = high > 16 ? 16 : high;
    return high <= low ? 0 : (__mmask16)(((1u << high) - 1u) & ~((1u << low) - 1u));
}

static void plan_half(int half, const TileLayout *layout, const int *rowOffset, int firstColumn, int width,
                      HalfMoves *moves) {
    const int count = moves_per_half(layout), length = layout->segmentLength;
    for (int n = 0; n < count; n++) {
        const int j = layout->rowsPerVector == 1 ? 0 : half * count + n;
        // Lane λ is pair lane 16·half + λ, column firstColumn + 16·half + λ − j·length.
        const int shift = firstColumn + 16 * half - j * length;
        const __mmask16 inSegment = lane_range(j * length - 16 * half, (j + 1) * length - 16 * half);
        const __mmask16 mask = rowOffset[j] < 0 ? 0 : inSegment & lane_range(-shift, width - shift);
        moves->offset[n] = mask ? rowOffset[j] + shift : 0;
        moves->mask[n] = mask;
    }
}

/// The first tile row and the first tile column of vector v.
static void vector_origin(const TileLayout *layout, int v, int *firstRow, int *firstColumn) {
    *firstRow = v / layout->chunksPerRow * layout->rowsPerVector;
    *firstColumn = v % layout->chunksPerRow * 16;
}

static inline __attribute__((always_inline)) AVX512
__m512 load_half(const int MOVES, const float *plane, const HalfMoves *moves) {
    __m512 value = _mm512_maskz_loadu_ps(moves->mask[0], plane + moves->offset[0]);
#pragma clang loop unroll(full)
    for (int n = 1; n < MOVES; n++) value = _mm512_mask_loadu_ps(value, moves->mask[n], plane + moves->offset[n]);
    return value;
}

static inline __attribute__((always_inline)) AVX512
void store_half(const int MOVES, float *plane, const HalfMoves *moves, __m512 value) {
#pragma clang loop unroll(full)
    for (int n = 0; n < MOVES; n++) _mm512_mask_storeu_ps(plane + moves->offset[n], moves->mask[n], value);
}

// MARK: - Input transform

/// V[ξ][c][slot] = (Bᵀ d B)[ξ] for every 4×4 input tile d of every channel, the tile (ty, tx)
/// covering input rows 2ty − 1 … 2ty + 2 and columns 2tx − 1 … 2tx + 2 (outside the input:
/// zeros, the padding). Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
///
/// Per vector and input row r of the tiles: two vectors hold each tile row's columns from
/// 2tx₀ − 1 (its segment), and two permutes split them into the even and odd columns (column
/// 0 and 1 of every tile); the same 2 columns further on give columns 2 and 3. The masks stand
/// for the padding, so the input is read in place. Slots past the last tile get zeros or
/// finite neighbours; their results are never stored.
/// One vector of tiles for every channel, with its moves planned (moves[r][shift][half]: input
/// row r of the tiles, columns from 2tx₀ − 1 + 2·shift).
static inline __attribute__((always_inline)) AVX512
void transform_input_vector(const int MOVES, const float *input, int channels, size_t inputPlane,
                            HalfMoves moves[4][2][2], size_t positionStride, size_t tileStride, float *target) {
    const __m512i evenIndex = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i oddIndex = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (int c = 0; c < channels; c++) {
        const float *plane = input + (size_t)c * inputPlane;
        __m512 d[4][4];
#pragma clang loop unroll(full)
        for (int r = 0; r < 4; r++) {
            const __m512 low = load_half(MOVES, plane, &moves[r][0][0]);
            const __m512 high = load_half(MOVES, plane, &moves[r][0][1]);
            const __m512 low2 = load_half(MOVES, plane, &moves[r][1][0]);
            const __m512 high2 = load_half(MOVES, plane, &moves[r][1][1]);
            d[r][0] = _mm512_permutex2var_ps(low, evenIndex, high);
            d[r][1] = _mm512_permutex2var_ps(low, oddIndex, high);
            d[r][2] = _mm512_permutex2var_ps(low2, evenIndex, high2);
            d[r][3] = _mm512_permutex2var_ps(low2, oddIndex, high2);
        }
        __m512 t[4][4];
#pragma clang loop unroll(full)
        for (int k = 0; k < 4; k++) {
            t[0][k] = _mm512_sub_ps(d[0][k], d[2][k]);
            t[1][k] = _mm512_add_ps(d[1][k], d[2][k]);
            t[2][k] = _mm512_sub_ps(d[2][k], d[1][k]);
            t[3][k] = _mm512_sub_ps(d[1][k], d[3][k]);
        }
        float *channelTarget = target + (size_t)c * tileStride;
#pragma clang loop unroll(full)
        for (int i = 0; i < 4; i++) {
            float *out = channelTarget + (size_t)(4 * i) * positionStride;
            _mm512_storeu_ps(out, _mm512_sub_ps(t[i][0], t[i][2]));
            _mm512_storeu_ps(out + positionStride, _mm512_add_ps(t[i][1], t[i][2]));
            _mm512_storeu_ps(out + 2 * positionStride, _mm512_sub_ps(t[i][2], t[i][1]));
            _mm512_storeu_ps(out + 3 * positionStride, _mm512_sub_ps(t[i][1], t[i][3]));
        }
    }
}

#define INPUT_VECTOR(MOVES) \
    static AVX512 void transform_input_vector_##MOVES(const float *input, int channels, size_t inputPlane, \
        HalfMoves moves[4][2][2], size_t positionStride, size_t tileStride, float *target) { \
        transform_input_vector(MOVES, input, channels, inputPlane, moves, positionStride, tileStride, target); \
    }
INPUT_VECTOR(1) INPUT_VECTOR(2) INPUT_VECTOR(4) INPUT_VECTOR(8)

static AVX512 void transform_input(const float *input, int channels, int height, int width, const TileLayout *layout,
                                   float *transformed) {
    const int movesPerHalf = moves_per_half(layout);
    for (int v = 0; v < layout->vectors; v++) {
        int firstRow, firstTile;
        vector_origin(layout, v, &firstRow, &firstTile);
        HalfMoves moves[4][2][2];
        for (int r = 0; r < 4; r++) {
            int rowOffset[16];
            for (int j = 0; j < layout->rowsPerVector; j++) {
                const int ty = firstRow + j, y = 2 * ty - 1 + r;
                rowOffset[j] = ty < layout->tilesHigh && y >= 0 && y < height ? y * width : -1;
            }
            for (int shift = 0; shift < 2; shift++)
                for (int half = 0; half < 2; half++)
                    plan_half(half, layout, rowOffset, 2 * firstTile - 1 + 2 * shift, width, &moves[r][shift][half]);
        }
        // Vector v's place in its tile block.
        int block = 0, firstVector = 0, count = 0;
        for (;; block++) {
            tile_block(layout, block, &firstVector, &count);
            if (v < firstVector + count) break;
        }
        float *target = transformed + tile_block_offset(layout, block) + (size_t)(v - firstVector) * 16;
        const size_t plane = (size_t)height * width, positionStride = position_stride(layout, count);
        const size_t channelStride = (size_t)count * 16;
        switch (movesPerHalf) {
        case 1: transform_input_vector_1(input, channels, plane, moves, positionStride, channelStride, target); break;
        case 2: transform_input_vector_2(input, channels, plane, moves, positionStride, channelStride, target); break;
        case 4: transform_input_vector_4(input, channels, plane, moves, positionStride, channelStride, target); break;
        default: transform_input_vector_8(input, channels, plane, moves, positionStride, channelStride, target); break;
        }
    }
}

// MARK: - The 16 matrix products

/// The register tile: for one ξ, MR output channels × NV vectors of tiles summed over the
/// channels c = 0 … C − 1 from zero. `v` points at the tile block's V[ξ] ([C][NV·16]), `u` at
/// the output-channel block's U[ξ] ([C][8]); row m goes to products + m·productRowStride.
/// MR = 16 (NV = 1 only) takes two output-channel blocks at once, the second's U[ξ] at
/// u + blockWeights: with one vector of tiles (7×7 planes), 8 rows gave 8 FMA chains for
/// 9 loads, too few to hide the FMA latency.
static inline __attribute__((always_inline)) AVX512
void product_tile(const int MR, const int NV, const float *v, int channels, const float *u, size_t blockWeights,
                  float *products, size_t productRowStride) {
    __m512 acc[2 * BLOCK * MAX_VECTORS];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR * NV; i++) acc[i] = _mm512_setzero_ps();
    for (int c = 0; c < channels; c++) {
        __m512 xv[MAX_VECTORS];
#pragma clang loop unroll(full)
        for (int j = 0; j < NV; j++) xv[j] = _mm512_load_ps(v + 16 * j);
#pragma clang loop unroll(full)
        for (int m = 0; m < MR; m++) {
            const __m512 wv = _mm512_set1_ps(m < BLOCK ? u[m] : u[blockWeights + m - BLOCK]);
#pragma clang loop unroll(full)
            for (int j = 0; j < NV; j++) acc[m * NV + j] = _mm512_fmadd_ps(wv, xv[j], acc[m * NV + j]);
        }
        v += NV * 16;
        u += BLOCK;
    }
#pragma clang loop unroll(full)
    for (int m = 0; m < MR; m++)
#pragma clang loop unroll(full)
        for (int j = 0; j < NV; j++) _mm512_store_ps(products + m * productRowStride + 16 * j, acc[m * NV + j]);
}

typedef void (*ProductFunction)(const float *, int, const float *, size_t, float *, size_t);

#define PRODUCT(MR, NV) \
    static AVX512 __attribute__((noinline)) void product_tile_##MR##_##NV(const float *v, int channels, const float *u, size_t blockWeights, \
                                                float *products, size_t productRowStride) { \
        product_tile(MR, NV, v, channels, u, blockWeights, products, productRowStride); \
    }
#define PRODUCTS(MR) PRODUCT(MR, 1) PRODUCT(MR, 2) PRODUCT(MR, 3)
PRODUCTS(1) PRODUCTS(2) PRODUCTS(4) PRODUCTS(8) PRODUCT(16, 1)

/// [rows class][vectors − 1]; rows class 0…3 is 1, 2, 4, 8 rows (a partial block of 3, 5, 6
/// or 7 rows runs the class above it: the packed weight's extra rows are zero).
static const ProductFunction productFunctions[4][MAX_VECTORS] = {
    { product_tile_1_1, product_tile_1_2, product_tile_1_3 },
    { product_tile_2_1, product_tile_2_2, product_tile_2_3 },
    { product_tile_4_1, product_tile_4_2, product_tile_4_3 },
    { product_tile_8_1, product_tile_8_2, product_tile_8_3 },
};

// MARK: - Output transform

/// Where one vector's outputs go: for each of the tile rows' two output rows, the moves of
/// each half of the 32 interleaved floats (tile λ's outputs (i, 0), (i, 1) at floats 2λ, 2λ + 1).
typedef struct {
    HalfMoves rows[2][2];
} VectorStores;

static void plan_stores(const TileLayout *layout, int v, int height, int width, VectorStores *stores) {
    int firstRow, firstTile;
    vector_origin(layout, v, &firstRow, &firstTile);
    for (int i = 0; i < 2; i++) {
        int rowOffset[16];
        for (int j = 0; j < layout->rowsPerVector; j++) {
            const int ty = firstRow + j, y = 2 * ty + i;
            rowOffset[j] = ty < layout->tilesHigh && y < height ? y * width : -1;
        }
        for (int half = 0; half < 2; half++)
            plan_half(half, layout, rowOffset, 2 * firstTile, width, &stores->rows[i][half]);
    }
}

/// Y = Aᵀ M A (Aᵀ = [1 1 1 0; 0 1 −1 −1]) for `rows` output channels × `vectors` vectors of
/// tiles, then (bias + Y) + shift, interleaved into output rows.
static inline __attribute__((always_inline)) AVX512
void transform_output(const int MOVES, int rows, int vectors, const float *products, const float *bias,
                                    const float *shift, const VectorStores *stores, float *output,
                                    size_t outputPlane) {
    const __m512i interleaveLow = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i interleaveHigh = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (int m = 0; m < rows; m++) {
        const __m512 b = _mm512_set1_ps(bias ? bias[m] : 0.0f);
        const __m512 s = _mm512_set1_ps(shift ? shift[m] : 0.0f);
        float *plane = output + m * outputPlane;
        for (int j = 0; j < vectors; j++) {
            __m512 p[16];
            for (int xi = 0; xi < 16; xi++)
                p[xi] = _mm512_load_ps(products + ((m * TILE_POSITIONS + xi) * MAX_VECTORS + j) * 16);
            // Aᵀ M: row 0 = M₀ + M₁ + M₂, row 1 = M₁ − M₂ − M₃ (Mᵢ the rows of the 4×4 M).
            __m512 r0[4], r1[4];
            for (int k = 0; k < 4; k++) {
                r0[k] = _mm512_add_ps(_mm512_add_ps(p[k], p[4 + k]), p[8 + k]);
                r1[k] = _mm512_sub_ps(_mm512_sub_ps(p[4 + k], p[8 + k]), p[12 + k]);
            }
            __m512 y[4] = {
                _mm512_add_ps(_mm512_add_ps(r0[0], r0[1]), r0[2]),
                _mm512_sub_ps(_mm512_sub_ps(r0[1], r0[2]), r0[3]),
                _mm512_add_ps(_mm512_add_ps(r1[0], r1[1]), r1[2]),
                _mm512_sub_ps(_mm512_sub_ps(r1[1], r1[2]), r1[3]),
            };
            for (int k = 0; k < 4; k++) {
                if (bias) y[k] = _mm512_add_ps(b, y[k]);
                if (shift) y[k] = _mm512_add_ps(y[k], s);
            }
            const VectorStores *st = &stores[j];
            for (int i = 0; i < 2; i++) {
                store_half(MOVES, plane, &st->rows[i][0], _mm512_permutex2var_ps(y[2 * i], interleaveLow, y[2 * i + 1]));
                store_half(MOVES, plane, &st->rows[i][1], _mm512_permutex2var_ps(y[2 * i], interleaveHigh, y[2 * i + 1]));
            }
        }
    }
}

#define OUTPUT(MOVES) \
    static AVX512 void transform_output_##MOVES(int rows, int vectors, const float *products, const float *bias, \
        const float *shift, const VectorStores *stores, float *output, size_t outputPlane) { \
        transform_output(MOVES, rows, vectors, products, bias, shift, stores, output, outputPlane); \
    }
OUTPUT(1) OUTPUT(2) OUTPUT(4) OUTPUT(8)

typedef void (*OutputFunction)(int, int, const float *, const float *, const float *, const VectorStores *, float *,
                               size_t);

// MARK: - One sample

AVX512
void dpl_winograd_forward_avx512(const float *input, const float *packedWeight, int inChannels, int outChannels,
                                 int height, int width, const float *bias, const float *shift,
                                 float *scratch, float *output) {
    float *transformed = scratch;
    const TileLayout layout = tile_layout(inChannels, height, width);
    transform_input(input, inChannels, height, width, &layout, transformed);

    const size_t outputPlane = (size_t)height * width;
    const int vectors = layout.vectors;
    VectorStores *stores = malloc(sizeof(VectorStores) * (size_t)vectors);
    for (int v = 0; v < vectors; v++) plan_stores(&layout, v, height, width, &stores[v]);
    const int blocks = (outChannels + BLOCK - 1) / BLOCK;
    const size_t blockWeights = TILE_POSITIONS * (size_t)inChannels * BLOCK;
    const size_t productRowStride = TILE_POSITIONS * MAX_VECTORS * 16;
    float *products = transformed + tile_block_offset(&layout, layout.tileBlocks);
    const int movesPerHalf = moves_per_half(&layout);
    const OutputFunction outputFunction = movesPerHalf == 1 ? transform_output_1 : movesPerHalf == 2 ? transform_output_2
        : movesPerHalf == 4 ? transform_output_4 : transform_output_8;

    // Per tile block, ξ outside the output-channel blocks: the block's V[ξ] (C·48 floats) and
    // U[ξ] (O·C) stay in L1 while every output channel's products are summed from them (with
    // the output-channel blocks outside, V was streamed from L2 once per block: the tile ran
    // at half the speed on 14×14 planes). The products M of the whole tile block (O·16·48
    // floats) then wait in L2 for the output transform.
    for (int tb = 0; tb < layout.tileBlocks; tb++) {
        int firstVector, nv;
        tile_block(&layout, tb, &firstVector, &nv);
        const float *blockV = transformed + tile_block_offset(&layout, tb);
        const size_t positionStride = position_stride(&layout, nv);
        for (int xi = 0; xi < TILE_POSITIONS; xi++) {
            const float *vx = blockV + xi * positionStride;
            const float *ux = packedWeight + (size_t)xi * inChannels * BLOCK;
            float *px = products + xi * MAX_VECTORS * 16;
            for (int b = 0; b < blocks;) {
                const int o0 = b * BLOCK;
                if (nv == 1 && outChannels - o0 >= 2 * BLOCK) {
                    product_tile_16_1(vx, inChannels, ux + b * blockWeights, blockWeights,
                                      px + (size_t)o0 * productRowStride, productRowStride);
                    b += 2;
                    continue;
                }
                const int rows = outChannels - o0 < BLOCK ? outChannels - o0 : BLOCK;
                const int rowsClass = rows > 4 ? 3 : rows > 2 ? 2 : rows > 1 ? 1 : 0;
                productFunctions[rowsClass][nv - 1](vx, inChannels, ux + b * blockWeights, blockWeights,
                                                    px + (size_t)o0 * productRowStride, productRowStride);
                b++;
            }
        }
        for (int b = 0; b < blocks; b++) {
            const int o0 = b * BLOCK;
            const int rows = outChannels - o0 < BLOCK ? outChannels - o0 : BLOCK;
            outputFunction(rows, nv, products + (size_t)o0 * productRowStride, bias ? bias + o0 : NULL,
                           shift ? shift + o0 : NULL, stores + firstVector, output + o0 * outputPlane, outputPlane);
        }
    }
    free(stores);
}

#else

void dpl_winograd_forward_avx512(const float *input, const float *packedWeight, int inChannels, int outChannels,
                                 int height, int width, const float *bias, const float *shift,
                                 float *scratch, float *output) {
    (void)input; (void)packedWeight; (void)inChannels; (void)outChannels; (void)height; (void)width;
    // Never called: VectorISA only chooses AVX-512 kernels on x86-64 CPUs that have it.
    (void)bias; (void)shift; (void)scratch; (void)output;
}

#endif
