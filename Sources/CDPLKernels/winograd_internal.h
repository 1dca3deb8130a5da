// What winograd.c (the layout, the matrix products, the driver) shares with the two tile
// sizes' transforms, winograd_f23.c (F(2×2, 3×3)) and winograd_f43.c (F(4×4, 3×3)).
// Private to CDPLKernels; include/winograd.h is the interface.
#pragma once

#include <stddef.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// 8 output channels × 3 vectors of 16 tiles = 24 zmm accumulators, the direct kernel's tile.
// A tile of m × m outputs reads an (m + 2) × (m + 2) input tile: 16 positions ξ for m = 2,
// 36 for m = 4. A vector's run of input or output columns is 16 tiles × m columns: m parts of
// 16 floats.
enum { BLOCK = 8, MAX_VECTORS = 3, MAX_POSITIONS = 36, MAX_TILE_INPUT = 6, MAX_PARTS = 4, MAX_MOVES = 8 };

/// Where each tile sits in V's rows. A tile row takes S slots: tilesWide rounded up to a
/// power of two up to 16 (the U-Net's 14, 7 and 4 tiles take 16, 8 and 4), else to a multiple
/// of 16. So a vector of 16 slots holds G = 16 / S whole tile rows (or one 16-tile chunk of a
/// longer row), and its input and output are G runs of consecutive columns: plain masked
/// loads and stores, no gathers or scatters.
typedef struct {
    /// m: a tile's output rows and columns (2 or 4), and its input tile's side m + 2.
    int tileSize, tileInput;
    /// (m + 2)²: the matrix products per tile block.
    int positions;
    int tilesHigh, tilesWide;
    /// G: tile rows per vector (1 when a tile row takes one or more whole vectors).
    int rowsPerVector;
    /// Vectors per group of tile rows: S / 16 when S ≥ 16, else 1.
    int chunksPerRow;
    /// A vector's input or output columns, as the 16·m floats of m parts, are G runs
    /// ("segments") of 16·m / G floats, one per tile row.
    int segmentLength;
    int vectors;
    /// The matrix products take the vectors in tile blocks of at most 3 (winograd_tile_block).
    int tileBlocks;
    int channels;
} TileLayout;

/// The tile side to use for a caller's `tileSize`: 4 if it asks for 4, else 2.
static inline int winograd_valid_tile_size(int tileSize) { return tileSize == 4 ? 4 : 2; }

TileLayout winograd_tile_layout(int tileSize, int channels, int height, int width);

/// Tile block `block`: its first vector and its vector count.
void winograd_tile_block(const TileLayout *layout, int block, int *firstVector, int *count);

/// The first tile row and the first tile column of vector v.
void winograd_vector_origin(const TileLayout *layout, int v, int *firstRow, int *firstColumn);

#if defined(__x86_64__)

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

/// The masked moves (loads or stores) between one part (16 lanes) of a vector's run of
/// columns and the rows its segments cover: one per segment in the part (1 when a segment
/// spans one or more whole parts, else G / m), so that their number is a constant of the
/// layout and the loops over them unroll. Lane λ of move n is float offset[n] + λ of the
/// plane; an empty mask (a tile row past the last, a padding row) moves nothing and never
/// faults.
typedef struct {
    int offset[MAX_MOVES];
    __mmask16 mask[MAX_MOVES];
} PartMoves;

static inline int winograd_moves_per_part(const TileLayout *layout) {
    const int moves = layout->rowsPerVector / layout->tileSize;
    return moves < 1 ? 1 : moves;
}

/// The moves for part `part` of a run whose segment j holds row rowOffset[j] (−1: none) from
/// column firstColumn on: run float f of segment j is column firstColumn + f − j·segmentLength.
/// Columns outside [0, width) are masked off (the padding), so a move may start before its row.
void winograd_plan_part(int part, const TileLayout *layout, const int *rowOffset, int firstColumn, int width,
                        PartMoves *moves);

/// Input row r of vector v's tiles, read from columns m·tx₀ − 1 + m·shift: moves[r][shift][part].
typedef PartMoves InputMoves[MAX_TILE_INPUT][2][MAX_PARTS];

/// Vector v's input moves.
void winograd_plan_input(const TileLayout *layout, int v, int height, int width, InputMoves moves);

/// Where one vector's outputs go: rows[i][part] for output row i of its tile rows.
typedef struct {
    PartMoves rows[MAX_PARTS][MAX_PARTS];
} VectorStores;

static inline __attribute__((always_inline)) AVX512
__m512 winograd_load_part(const int MOVES, const float *plane, const PartMoves *moves) {
    __m512 value = _mm512_maskz_loadu_ps(moves->mask[0], plane + moves->offset[0]);
#pragma clang loop unroll(full)
    for (int n = 1; n < MOVES; n++) value = _mm512_mask_loadu_ps(value, moves->mask[n], plane + moves->offset[n]);
    return value;
}

static inline __attribute__((always_inline)) AVX512
void winograd_store_part(const int MOVES, float *plane, const PartMoves *moves, __m512 value) {
#pragma clang loop unroll(full)
    for (int n = 0; n < MOVES; n++) _mm512_mask_storeu_ps(plane + moves->offset[n], moves->mask[n], value);
}

/// One vector of tiles of every channel into V: target[ξ·positionStride + c·channelStride + λ]
/// for slot λ of the vector.
typedef void (*WinogradInputFunction)(const float *input, int channels, size_t inputPlane, const InputMoves moves,
                                      size_t positionStride, size_t channelStride, float *target);

/// `rows` output channels × `vectors` vectors of one tile block: Y = Aᵀ M A from the products
/// M (row m, position ξ, vector j at products[((m·positions + ξ)·MAX_VECTORS + j)·16]), then
/// (bias + Y) + shift (either may be NULL), stored through `stores` (one per vector).
typedef void (*WinogradOutputFunction)(int rows, int vectors, const float *products, const float *bias,
                                       const float *shift, const VectorStores *stores, float *output,
                                       size_t outputPlane);

/// The input and output transforms of the layout's tile size and moves per part.
WinogradInputFunction winograd_input_function(const TileLayout *layout);
WinogradOutputFunction winograd_output_function(const TileLayout *layout);

// Each tile size's transforms, for a layout's moves per part.
WinogradInputFunction winograd_f23_input_function(int movesPerPart);
WinogradOutputFunction winograd_f23_output_function(int movesPerPart);
WinogradInputFunction winograd_f43_input_function(int movesPerPart);
WinogradOutputFunction winograd_f43_output_function(int movesPerPart);

#endif

/// U = G g Gᵀ of one 3×3 kernel g (element (ky, kx) at g[ky·rowStep + kx·colStep], which reads
/// a flipped kernel with negative steps), into u[(m + 2)·i + j].
void winograd_f23_transform_kernel(const float *g, int rowStep, int colStep, float u[16]);
void winograd_f43_transform_kernel(const float *g, int rowStep, int colStep, float u[36]);
