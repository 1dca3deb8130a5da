// Winograd F(4×4, 3×3)'s transforms (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016, interpolation points 0, ±1, ±2): 4×4 outputs from a 6×6 input tile, 36
// products per tile, 2.25 per output where F(2×2, 3×3) does 4 and the direct kernel 9.
//
//     Bᵀ = [4  0 −5  0 1 0      G = [ 1/4     0     0       Aᵀ = [1 1  1 1  1 0
//           0 −4 −4  1 1 0           −1/6  −1/6  −1/6              0 1 −1 2 −2 0
//           0  4 −4 −1 1 0           −1/6   1/6  −1/6              0 1  1 4  4 0
//           0 −2 −1  2 1 0            1/24  1/12  1/6              0 1 −1 8 −8 1]
//           0  2 −1 −2 1 0            1/24 −1/12  1/6
//           0  4  0 −5 0 1]           0      0     1  ]
//
// The larger points round more than F(2×2, 3×3)'s (docs/performance.md gives the error
// observed). The layout, the products and the driver are winograd.c's.
#include "winograd_internal.h"

void winograd_f43_transform_kernel(const float *g, int rowStep, int colStep, float u[36]) {
    // In double, rounded once: 1/6 and 1/24 are not floats.
    static const double G[6][3] = {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };
    double gg[6][3];
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 3; k++)
            gg[i][k] = G[i][0] * g[k * colStep] + G[i][1] * g[rowStep + k * colStep] + G[i][2] * g[2 * rowStep + k * colStep];
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            u[6 * i + j] = (float)(gg[i][0] * G[j][0] + gg[i][1] * G[j][1] + gg[i][2] * G[j][2]);
}

#if defined(__x86_64__)

// MARK: - The one-dimensional transforms

/// Bᵀ x for six vectors: a = x₄ − 4x₂ and b = x₃ − 4x₁ give rows 1 and 2, c = x₄ − x₂ and
/// e = x₃ − x₁ rows 3 and 4.
static inline __attribute__((always_inline)) AVX512
void input_1d(const __m512 x[6], __m512 o[6]) {
    const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f);
    const __m512 a = _mm512_fnmadd_ps(four, x[2], x[4]), b = _mm512_fnmadd_ps(four, x[1], x[3]);
    const __m512 c = _mm512_sub_ps(x[4], x[2]), e = _mm512_sub_ps(x[3], x[1]);
    o[0] = _mm512_fmadd_ps(four, x[0], _mm512_fnmadd_ps(five, x[2], x[4]));
    o[1] = _mm512_add_ps(a, b);
    o[2] = _mm512_sub_ps(a, b);
    o[3] = _mm512_fmadd_ps(two, e, c);
    o[4] = _mm512_fnmadd_ps(two, e, c);
    o[5] = _mm512_fmadd_ps(four, x[1], _mm512_fnmadd_ps(five, x[3], x[5]));
}

/// Aᵀ x for six vectors: with s = x₁ + x₂, d = x₁ − x₂, s′ = x₃ + x₄, d′ = x₃ − x₄,
/// y = (x₀ + s + s′, d + 2d′, s + 4s′, d + 8d′ + x₅).
static inline __attribute__((always_inline)) AVX512
void output_1d(const __m512 x[6], __m512 y[4]) {
    const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), eight = _mm512_set1_ps(8.0f);
    const __m512 s = _mm512_add_ps(x[1], x[2]), d = _mm512_sub_ps(x[1], x[2]);
    const __m512 s2 = _mm512_add_ps(x[3], x[4]), d2 = _mm512_sub_ps(x[3], x[4]);
    y[0] = _mm512_add_ps(_mm512_add_ps(x[0], s), s2);
    y[1] = _mm512_fmadd_ps(two, d2, d);
    y[2] = _mm512_fmadd_ps(four, s2, s);
    y[3] = _mm512_add_ps(_mm512_fmadd_ps(eight, d2, d), x[5]);
}

/// The 16×4 transpose between a run's four parts (part p: tiles 4p … 4p + 3, four columns
/// each) and four column phases (phase k: column k of 16 tiles), within 128-bit lanes: slot
/// 4q + p of a phase holds tile 4p + q. The same network maps the phases back to the parts.
/// 8 in-lane shuffles where splitting each phase out with permutes took 12 and 4 blends.
static inline __attribute__((always_inline)) AVX512
void transpose_4x4_lanes(const __m512 in[4], __m512 out[4]) {
    const __m512 q0 = _mm512_unpacklo_ps(in[0], in[1]), q1 = _mm512_unpackhi_ps(in[0], in[1]);
    const __m512 q2 = _mm512_unpacklo_ps(in[2], in[3]), q3 = _mm512_unpackhi_ps(in[2], in[3]);
    out[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(q0), _mm512_castps_pd(q2)));
    out[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(q0), _mm512_castps_pd(q2)));
    out[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(q1), _mm512_castps_pd(q3)));
    out[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(q1), _mm512_castps_pd(q3)));
}

// MARK: - Input transform

/// V[ξ][c][slot] = (Bᵀ d B)[ξ] for every 6×6 input tile d of every channel, the tile (ty, tx)
/// covering input rows 4ty − 1 … 4ty + 4 and columns 4tx − 1 … 4tx + 4 (outside the input:
/// zeros, the padding).
///
/// Per input row r of the tiles: the run of 64 columns from 4tx₀ − 1 gives, transposed,
/// columns 0 … 3 of 16 tiles; the run from 4 columns further on, columns 4 and 5 (its phases
/// 0 and 1). Slots are in the transpose's order (slot 4q + p: tile 4p + q), which the output
/// transform undoes; slots past the last tile get zeros or finite neighbours, never stored.
static inline __attribute__((always_inline)) AVX512
void transform_input_vector(const int MOVES, const float *input, int channels, size_t inputPlane,
                            const InputMoves moves, size_t positionStride, size_t tileStride, float *target) {
    for (int c = 0; c < channels; c++) {
        const float *plane = input + (size_t)c * inputPlane;
        // w = d B, row by row.
        __m512 w[6][6];
#pragma clang loop unroll(full)
        for (int r = 0; r < 6; r++) {
            __m512 parts[4], d[6];
#pragma clang loop unroll(full)
            for (int p = 0; p < 4; p++) parts[p] = winograd_load_part(MOVES, plane, &moves[r][0][p]);
            transpose_4x4_lanes(parts, d);
#pragma clang loop unroll(full)
            for (int p = 0; p < 4; p++) parts[p] = winograd_load_part(MOVES, plane, &moves[r][1][p]);
            const __m512 e0 = _mm512_unpacklo_ps(parts[0], parts[1]), e2 = _mm512_unpacklo_ps(parts[2], parts[3]);
            d[4] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(e0), _mm512_castps_pd(e2)));
            d[5] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(e0), _mm512_castps_pd(e2)));
            input_1d(d, w[r]);
        }
        // V = Bᵀ w, column by column.
        float *channelTarget = target + (size_t)c * tileStride;
#pragma clang loop unroll(full)
        for (int j = 0; j < 6; j++) {
            const __m512 column[6] = { w[0][j], w[1][j], w[2][j], w[3][j], w[4][j], w[5][j] };
            __m512 v[6];
            input_1d(column, v);
#pragma clang loop unroll(full)
            for (int i = 0; i < 6; i++) _mm512_storeu_ps(channelTarget + (size_t)(6 * i + j) * positionStride, v[i]);
        }
    }
}

#define INPUT_VECTOR(MOVES) \
    static AVX512 void transform_input_vector_##MOVES(const float *input, int channels, size_t inputPlane, \
        const InputMoves moves, size_t positionStride, size_t tileStride, float *target) { \
        transform_input_vector(MOVES, input, channels, inputPlane, moves, positionStride, tileStride, target); \
    }
INPUT_VECTOR(1) INPUT_VECTOR(2) INPUT_VECTOR(4)

WinogradInputFunction winograd_f43_input_function(int movesPerPart) {
    return movesPerPart == 1 ? transform_input_vector_1 : movesPerPart == 2 ? transform_input_vector_2
        : transform_input_vector_4;
}

// MARK: - Output transform

/// Y = Aᵀ M A for `rows` output channels × `vectors` vectors of tiles, then (bias + Y) + shift,
/// each output row's four phases transposed back into the run's four parts.
static inline __attribute__((always_inline)) AVX512
void transform_output(const int MOVES, int rows, int vectors, const float *products, const float *bias,
                      const float *shift, const VectorStores *stores, float *output, size_t outputPlane) {
    for (int m = 0; m < rows; m++) {
        const __m512 b = _mm512_set1_ps(bias ? bias[m] : 0.0f);
        const __m512 s = _mm512_set1_ps(shift ? shift[m] : 0.0f);
        float *plane = output + m * outputPlane;
        for (int j = 0; j < vectors; j++) {
            const float *p = products + ((size_t)m * 36 * MAX_VECTORS + j) * 16;
            // r = Aᵀ M, column by column.
            __m512 r[4][6];
#pragma clang loop unroll(full)
            for (int k = 0; k < 6; k++) {
                __m512 column[6], y[4];
#pragma clang loop unroll(full)
                for (int i = 0; i < 6; i++) column[i] = _mm512_load_ps(p + (size_t)(6 * i + k) * MAX_VECTORS * 16);
                output_1d(column, y);
#pragma clang loop unroll(full)
                for (int i = 0; i < 4; i++) r[i][k] = y[i];
            }
            const VectorStores *st = &stores[j];
#pragma clang loop unroll(full)
            for (int i = 0; i < 4; i++) {
                __m512 y[4], parts[4];
                output_1d(r[i], y);
#pragma clang loop unroll(full)
                for (int k = 0; k < 4; k++) {
                    if (bias) y[k] = _mm512_add_ps(b, y[k]);
                    if (shift) y[k] = _mm512_add_ps(y[k], s);
                }
                transpose_4x4_lanes(y, parts);
#pragma clang loop unroll(full)
                for (int q = 0; q < 4; q++) winograd_store_part(MOVES, plane, &st->rows[i][q], parts[q]);
            }
        }
    }
}

#define OUTPUT(MOVES) \
    static AVX512 void transform_output_##MOVES(int rows, int vectors, const float *products, const float *bias, \
        const float *shift, const VectorStores *stores, float *output, size_t outputPlane) { \
        transform_output(MOVES, rows, vectors, products, bias, shift, stores, output, outputPlane); \
    }
OUTPUT(1) OUTPUT(2) OUTPUT(4)

WinogradOutputFunction winograd_f43_output_function(int movesPerPart) {
    return movesPerPart == 1 ? transform_output_1 : movesPerPart == 2 ? transform_output_2 : transform_output_4;
}

#endif
