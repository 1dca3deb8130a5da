// Winograd convolution F(m×m, 3×3), m = 2 or 4 (see include/winograd.h for the algorithm and
// layouts): the tile layout, the matrix products and the driver. Each tile size's transforms
// are in winograd_f23.c and winograd_f43.c.
#include "winograd.h"
#include "winograd_internal.h"

#include <stdlib.h>
#include <string.h>

/// Tiles per row and column: ⌈size / m⌉ (the last tile may have fewer real rows or columns).
static int tiles_along(int size, int tileSize) { return (size + tileSize - 1) / tileSize; }

TileLayout winograd_tile_layout(int tileSize, int channels, int height, int width) {
    TileLayout layout;
    layout.tileSize = tileSize;
    layout.tileInput = tileSize + 2;
    layout.positions = layout.tileInput * layout.tileInput;
    layout.tilesHigh = tiles_along(height, tileSize);
    layout.tilesWide = tiles_along(width, tileSize);
    int slots = 1;
    while (slots < layout.tilesWide && slots < 16) slots *= 2;
    if (layout.tilesWide > 16) slots = (layout.tilesWide + 15) / 16 * 16;
    layout.rowsPerVector = slots < 16 ? 16 / slots : 1;
    layout.chunksPerRow = slots < 16 ? 1 : slots / 16;
    layout.segmentLength = 16 * tileSize / layout.rowsPerVector;
    const int groups = (layout.tilesHigh + layout.rowsPerVector - 1) / layout.rowsPerVector;
    layout.vectors = groups * layout.chunksPerRow;
    layout.tileBlocks = (layout.vectors + MAX_VECTORS - 1) / MAX_VECTORS;
    layout.channels = channels;
    return layout;
}

/// As even as possible (14 vectors: 3 3 3 3 2, not 3 3 3 3 1; 4: 2 2), since a 1-vector tile
/// does 8 FMAs per 9 loads.
void winograd_tile_block(const TileLayout *layout, int block, int *firstVector, int *count) {
    const int base = layout->vectors / layout->tileBlocks, extra = layout->vectors % layout->tileBlocks;
    *count = base + (block < extra ? 1 : 0);
    *firstVector = block * base + (block < extra ? block : extra);
}

void winograd_vector_origin(const TileLayout *layout, int v, int *firstRow, int *firstColumn) {
    *firstRow = v / layout->chunksPerRow * layout->rowsPerVector;
    *firstColumn = v % layout->chunksPerRow * 16;
}

/// V is stored tile block by tile block, each [ξ][C][its vectors · 16], so that one block's
/// one ξ (what a run of the matrix-product tile reads, once per output-channel block) is
/// contiguous and stays in L1. Between two ξ 16 floats more than the channels need: the input
/// transform writes all ξ of one vector at once, and a stride that is a multiple of 4 KB would
/// put them all in one L1 set.
static size_t position_stride(const TileLayout *layout, int vectorsInBlock) {
    return (size_t)layout->channels * vectorsInBlock * 16 + 16;
}

static size_t tile_block_offset(const TileLayout *layout, int block) {
    int firstVector, count;
    winograd_tile_block(layout, block, &firstVector, &count);
    return (size_t)layout->positions * ((size_t)layout->channels * 16 * firstVector + 16 * (size_t)block);
}

/// The matrix products M, [output channels rounded up to 8][ξ][48 tiles], for one tile block.
static size_t products_count(int positions, int outChannels) {
    return ((size_t)outChannels + BLOCK - 1) / BLOCK * BLOCK * (size_t)positions * MAX_VECTORS * 16;
}

int dpl_winograd_tile_size(int height, int width) {
    // The products' vector-FMAs per input and output channel: (m + 2)² per vector of tiles.
    // F(4×4) also wastes more slots on small planes (a 7×7 plane is 2×2 tiles of four in one
    // vector of 16), so it is taken only where it does at most ¾ of F(2×2)'s products: the
    // transforms per output cost about the same and the products dominate.
    const int f23 = 16 * winograd_tile_layout(2, 1, height, width).vectors;
    const int f43 = 36 * winograd_tile_layout(4, 1, height, width).vectors;
    return 4 * f43 <= 3 * f23 ? 4 : 2;
}

size_t dpl_winograd_packed_weight_count(int tileSize, int outChannels, int inChannels) {
    const int m = winograd_valid_tile_size(tileSize);
    const size_t blocks = ((size_t)outChannels + BLOCK - 1) / BLOCK;
    return blocks * (size_t)((m + 2) * (m + 2)) * (size_t)inChannels * BLOCK;
}

size_t dpl_winograd_scratch_count(int tileSize, int inChannels, int outChannels, int height, int width) {
    const TileLayout layout = winograd_tile_layout(winograd_valid_tile_size(tileSize), inChannels, height, width);
    return tile_block_offset(&layout, layout.tileBlocks) + products_count(layout.positions, outChannels);
}

int dpl_winograd_weight_blocks(int outChannels) { return (outChannels + BLOCK - 1) / BLOCK; }

void dpl_winograd_pack_weight(int tileSize, const float *weight, int outChannels, int inChannels,
                              int transposeFlip, int firstBlock, int blockCount, float *packed) {
    const int m = winograd_valid_tile_size(tileSize), positions = (m + 2) * (m + 2);
    const int blocks = (outChannels + BLOCK - 1) / BLOCK;
    const size_t positionSize = (size_t)inChannels * BLOCK;
    const size_t blockSize = (size_t)positions * positionSize;
    const int lastBlock = firstBlock + blockCount < blocks ? firstBlock + blockCount : blocks;
    // packed[block][ξ][c][row]; the rows past outChannels in the last block are zero.
    if (outChannels % BLOCK && lastBlock == blocks)
        memset(packed + (size_t)(blocks - 1) * blockSize, 0, sizeof(float) * blockSize);
    const int lastChannel = lastBlock * BLOCK < outChannels ? lastBlock * BLOCK : outChannels;
    for (int o = firstBlock * BLOCK; o < lastChannel; o++) {
        float *target = packed + (size_t)(o / BLOCK) * blockSize + o % BLOCK;
        for (int c = 0; c < inChannels; c++) {
            float u[MAX_POSITIONS];
            // W'[o, c, ky, kx] = W[c, o, 2 − ky, 2 − kx] for the input gradient: start at the
            // last tap, step backwards.
            const float *g = transposeFlip ? weight + ((size_t)c * outChannels + o) * 9 + 8
                                           : weight + ((size_t)o * inChannels + c) * 9;
            const int rowStep = transposeFlip ? -3 : 3, colStep = transposeFlip ? -1 : 1;
            if (m == 4) winograd_f43_transform_kernel(g, rowStep, colStep, u);
            else winograd_f23_transform_kernel(g, rowStep, colStep, u);
            for (int xi = 0; xi < positions; xi++) target[xi * positionSize + (size_t)c * BLOCK] = u[xi];
        }
    }
}

#if defined(__x86_64__)

// MARK: - Moving a vector's columns

/// Lanes [low, high) of 16 as a mask (empty when high ≤ low).
static __mmask16 lane_range(int low, int high) {
    low = low < 0 ? 0 : low;
    high = high > 16 ? 16 : high;
    return high <= low ? 0 : (__mmask16)(((1u << high) - 1u) & ~((1u << low) - 1u));
}

void winograd_plan_part(int part, const TileLayout *layout, const int *rowOffset, int firstColumn, int width,
                        PartMoves *moves) {
    const int count = winograd_moves_per_part(layout), length = layout->segmentLength;
    for (int n = 0; n < count; n++) {
        // A segment of 16 floats or more covers whole parts; a shorter one, 1 / count of one.
        const int j = length >= 16 ? 16 * part / length : part * count + n;
        // Lane λ is run float 16·part + λ, column firstColumn + 16·part + λ − j·length.
        const int shift = firstColumn + 16 * part - j * length;
        const __mmask16 inSegment = lane_range(j * length - 16 * part, (j + 1) * length - 16 * part);
        const __mmask16 mask = rowOffset[j] < 0 ? 0 : inSegment & lane_range(-shift, width - shift);
        moves->offset[n] = mask ? rowOffset[j] + shift : 0;
        moves->mask[n] = mask;
    }
}

// MARK: - Input transform

void winograd_plan_input(const TileLayout *layout, int v, int height, int width, InputMoves moves) {
    const int m = layout->tileSize;
    int firstRow, firstTile;
    winograd_vector_origin(layout, v, &firstRow, &firstTile);
    for (int r = 0; r < layout->tileInput; r++) {
        int rowOffset[16];
        for (int j = 0; j < layout->rowsPerVector; j++) {
            const int ty = firstRow + j, y = m * ty - 1 + r;
            rowOffset[j] = ty < layout->tilesHigh && y >= 0 && y < height ? y * width : -1;
        }
        for (int shift = 0; shift < 2; shift++)
            for (int part = 0; part < m; part++)
                winograd_plan_part(part, layout, rowOffset, m * firstTile - 1 + m * shift, width, &moves[r][shift][part]);
    }
}

WinogradInputFunction winograd_input_function(const TileLayout *layout) {
    const int moves = winograd_moves_per_part(layout);
    return layout->tileSize == 4 ? winograd_f43_input_function(moves) : winograd_f23_input_function(moves);
}

WinogradOutputFunction winograd_output_function(const TileLayout *layout) {
    const int moves = winograd_moves_per_part(layout);
    return layout->tileSize == 4 ? winograd_f43_output_function(moves) : winograd_f23_output_function(moves);
}

static AVX512 void transform_input(const float *input, int channels, int height, int width, const TileLayout *layout,
                                   float *transformed) {
    const WinogradInputFunction vectorFunction = winograd_input_function(layout);
    for (int v = 0; v < layout->vectors; v++) {
        InputMoves moves;
        winograd_plan_input(layout, v, height, width, moves);
        // Vector v's place in its tile block.
        int block = 0, firstVector = 0, count = 0;
        for (;; block++) {
            winograd_tile_block(layout, block, &firstVector, &count);
            if (v < firstVector + count) break;
        }
        float *target = transformed + tile_block_offset(layout, block) + (size_t)(v - firstVector) * 16;
        vectorFunction(input, channels, (size_t)height * width, (const PartMoves (*)[2][MAX_PARTS])moves,
                       position_stride(layout, count), (size_t)count * 16, target);
    }
}

// MARK: - The matrix products

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

static void plan_stores(const TileLayout *layout, int v, int height, int width, VectorStores *stores) {
    const int m = layout->tileSize;
    int firstRow, firstTile;
    winograd_vector_origin(layout, v, &firstRow, &firstTile);
    for (int i = 0; i < m; i++) {
        int rowOffset[16];
        for (int j = 0; j < layout->rowsPerVector; j++) {
            const int ty = firstRow + j, y = m * ty + i;
            rowOffset[j] = ty < layout->tilesHigh && y < height ? y * width : -1;
        }
        for (int part = 0; part < m; part++)
            winograd_plan_part(part, layout, rowOffset, m * firstTile, width, &stores->rows[i][part]);
    }
}

// MARK: - One sample

AVX512
void dpl_winograd_forward_avx512(int tileSize, const float *input, const float *packedWeight, int inChannels,
                                 int outChannels, int height, int width, const float *bias, const float *shift,
                                 float *scratch, float *output) {
    float *transformed = scratch;
    const TileLayout layout = winograd_tile_layout(winograd_valid_tile_size(tileSize), inChannels, height, width);
    transform_input(input, inChannels, height, width, &layout, transformed);

    const int positions = layout.positions;
    const size_t outputPlane = (size_t)height * width;
    const int vectors = layout.vectors;
    VectorStores *stores = malloc(sizeof(VectorStores) * (size_t)vectors);
    for (int v = 0; v < vectors; v++) plan_stores(&layout, v, height, width, &stores[v]);
    const int blocks = (outChannels + BLOCK - 1) / BLOCK;
    const size_t blockWeights = (size_t)positions * inChannels * BLOCK;
    const size_t productRowStride = (size_t)positions * MAX_VECTORS * 16;
    float *products = transformed + tile_block_offset(&layout, layout.tileBlocks);
    const WinogradOutputFunction outputFunction = winograd_output_function(&layout);

    // Per tile block, ξ outside the output-channel blocks: the block's V[ξ] (C·48 floats) and
    // U[ξ] (O·C) stay in L1 while every output channel's products are summed from them (with
    // the output-channel blocks outside, V was streamed from L2 once per block: the tile ran
    // at half the speed on 14×14 planes). The products M of the whole tile block (O·ξ·48
    // floats) then wait in L2 for the output transform.
    for (int tb = 0; tb < layout.tileBlocks; tb++) {
        int firstVector, nv;
        winograd_tile_block(&layout, tb, &firstVector, &nv);
        const float *blockV = transformed + tile_block_offset(&layout, tb);
        const size_t positionStride = position_stride(&layout, nv);
        for (int xi = 0; xi < positions; xi++) {
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

void dpl_winograd_forward_avx512(int tileSize, const float *input, const float *packedWeight, int inChannels,
                                 int outChannels, int height, int width, const float *bias, const float *shift,
                                 float *scratch, float *output) {
    (void)tileSize; (void)input; (void)packedWeight; (void)inChannels; (void)outChannels; (void)height; (void)width;
    // Never called: VectorISA only chooses AVX-512 kernels on x86-64 CPUs that have it.
    (void)bias; (void)shift; (void)scratch; (void)output;
}

#endif
