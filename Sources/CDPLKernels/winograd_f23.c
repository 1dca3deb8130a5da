// Winograd F(2×2, 3×3)'s transforms (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016): 2×2 outputs from a 4×4 input tile, 16 products per tile.
//
//     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//     Aᵀ = [1 1 1 0; 0 1 −1 −1]
//
// The layout, the products and the driver are winograd.c's.
#include "winograd_internal.h"

void winograd_f23_transform_kernel(const float *g, int rowStep, int colStep, float u[16]) {
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

#if defined(__x86_64__)

// MARK: - Input transform

/// V[ξ][c][slot] = (Bᵀ d B)[ξ] for every 4×4 input tile d of every channel, the tile (ty, tx)
/// covering input rows 2ty − 1 … 2ty + 2 and columns 2tx − 1 … 2tx + 2 (outside the input:
/// zeros, the padding).
///
/// Per input row r of the tiles: the two parts of the run from 2tx₀ − 1 hold each tile row's
/// columns (its segment), and two permutes split them into the even and odd columns (column
/// 0 and 1 of every tile); the run from 2 columns further on gives columns 2 and 3. The masks
/// stand for the padding, so the input is read in place. Slots past the last tile get zeros
/// or finite neighbours; their results are never stored.
static inline __attribute__((always_inline)) AVX512
void transform_input_vector(const int MOVES, const float *input, int channels, size_t inputPlane,
                            const InputMoves moves, size_t positionStride, size_t tileStride, float *target) {
    const __m512i evenIndex = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i oddIndex = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (int c = 0; c < channels; c++) {
        const float *plane = input + (size_t)c * inputPlane;
        __m512 d[4][4];
#pragma clang loop unroll(full)
        for (int r = 0; r < 4; r++) {
            const __m512 low = winograd_load_part(MOVES, plane, &moves[r][0][0]);
            const __m512 high = winograd_load_part(MOVES, plane, &moves[r][0][1]);
            const __m512 low2 = winograd_load_part(MOVES, plane, &moves[r][1][0]);
            const __m512 high2 = winograd_load_part(MOVES, plane, &moves[r][1][1]);
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
        const InputMoves moves, size_t positionStride, size_t tileStride, float *target) { \
        transform_input_vector(MOVES, input, channels, inputPlane, moves, positionStride, tileStride, target); \
    }
INPUT_VECTOR(1) INPUT_VECTOR(2) INPUT_VECTOR(4) INPUT_VECTOR(8)

WinogradInputFunction winograd_f23_input_function(int movesPerPart) {
    return movesPerPart == 1 ? transform_input_vector_1 : movesPerPart == 2 ? transform_input_vector_2
        : movesPerPart == 4 ? transform_input_vector_4 : transform_input_vector_8;
}

// MARK: - Output transform

/// Y = Aᵀ M A for `rows` output channels × `vectors` vectors of tiles, then (bias + Y) + shift,
/// interleaved into output rows (tile λ's outputs (i, 0), (i, 1) at run floats 2λ, 2λ + 1).
static inline __attribute__((always_inline)) AVX512
void transform_output(const int MOVES, int rows, int vectors, const float *products, const float *bias,
                      const float *shift, const VectorStores *stores, float *output, size_t outputPlane) {
    const __m512i interleaveLow = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i interleaveHigh = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (int m = 0; m < rows; m++) {
        const __m512 b = _mm512_set1_ps(bias ? bias[m] : 0.0f);
        const __m512 s = _mm512_set1_ps(shift ? shift[m] : 0.0f);
        float *plane = output + m * outputPlane;
        for (int j = 0; j < vectors; j++) {
            __m512 p[16];
            for (int xi = 0; xi < 16; xi++)
                p[xi] = _mm512_load_ps(products + ((m * 16 + xi) * MAX_VECTORS + j) * 16);
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
                winograd_store_part(MOVES, plane, &st->rows[i][0],
                                    _mm512_permutex2var_ps(y[2 * i], interleaveLow, y[2 * i + 1]));
                winograd_store_part(MOVES, plane, &st->rows[i][1],
                                    _mm512_permutex2var_ps(y[2 * i], interleaveHigh, y[2 * i + 1]));
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

WinogradOutputFunction winograd_f23_output_function(int movesPerPart) {
    return movesPerPart == 1 ? transform_output_1 : movesPerPart == 2 ? transform_output_2
        : movesPerPart == 4 ? transform_output_4 : transform_output_8;
}

#endif
