// bf16 × bf16 → fp32 matrix products on AVX-512 BF16 (see include/bf16_gemm.h).
//
// Layout, after the GotoBLAS/BLIS scheme: the weight is packed per block of KC rows of op(B) and
// NC columns into micro-panels of NR = 32 columns whose k values are interleaved in pairs, the
// unit `vdpbf16ps` multiplies (two bf16 in each 32-bit lane). The activation A is already bf16
// and row-major with an even row stride, so a pair A[i][2p], A[i][2p+1] is one 32-bit word the
// micro-kernel broadcasts straight from its row: no packing of A is needed, its MR rows stay in
// L1/L2 while the kernel walks the NR panels of the block. The micro-kernel keeps an MR × NR
// tile of C in 24 zmm registers.
#include "bf16_gemm.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define MR 12
#define NR 32
#define KC 384   // k values per block (even): 192 pairs, a 24 KB micro-panel of B in L1
#define NC 512   // columns per block: a 384 KB packed block of B in L2
#define MC 192   // rows of A per block: 144 KB of A's k block, reused from L2 by every panel

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

int lorasb_bf16_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") ? 1 : 0;
}

// Round to nearest even; the vector instruction treats denormal inputs as zero and flushes
// denormal outputs, so the scalar tail does the same and every element rounds alike.
static uint16_t bf16_round(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);   // quiet NaN
    if ((u & 0x7f800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u);          // ±0, denormals
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

BF16_TARGET void lorasb_bf16_from_f32(const float *src, uint16_t *dst, size_t count) {
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void *)(dst + i), (__m512i)v);
    }
    for (; i < count; i++) dst[i] = bf16_round(src[i]);
}

void lorasb_f32_from_bf16(const uint16_t *src, float *dst, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint32_t u = (uint32_t)src[i] << 16;
        memcpy(dst + i, &u, sizeof u);
    }
}

// One thread's packing buffer, kept for the thread's lifetime (Dispatch reuses its threads).
static _Thread_local uint32_t *packed_b;

static uint32_t *packing_buffer(void) {
    if (!packed_b) packed_b = aligned_alloc(64, (size_t)(KC / 2) * NC * sizeof(uint32_t));
    return packed_b;
}

static uint32_t bf16_pair(uint16_t lo, uint16_t hi) { return (uint32_t)lo | ((uint32_t)hi << 16); }

// Transposes a 16 × 16 block of 32-bit words held as 16 rows.
BF16_TARGET static inline void transpose16(__m512i r[16]) {
    __m512i t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {   // r[4i + q], lane L: column 4L + q of rows 4i..4i+3
        r[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    __m512i out[16];
    for (int q = 0; q < 4; q++) {
        __m512i t0 = _mm512_shuffle_i32x4(r[q], r[4 + q], 0x88), t1 = _mm512_shuffle_i32x4(r[q], r[4 + q], 0xDD);
        __m512i t2 = _mm512_shuffle_i32x4(r[8 + q], r[12 + q], 0x88), t3 = _mm512_shuffle_i32x4(r[8 + q], r[12 + q], 0xDD);
        out[q] = _mm512_shuffle_i32x4(t0, t2, 0x88);
        out[8 + q] = _mm512_shuffle_i32x4(t0, t2, 0xDD);
        out[4 + q] = _mm512_shuffle_i32x4(t1, t3, 0x88);
        out[12 + q] = _mm512_shuffle_i32x4(t1, t3, 0xDD);
    }
    for (int i = 0; i < 16; i++) r[i] = out[i];
}

// In 16 × 16 tiles so that both the rows read and the rows written stay in L1. A whole tile is
// loaded as 16 rows of 16 floats, transposed as 32-bit words and rounded row by row; edge tiles
// go element by element (the same rounding).
BF16_TARGET void lorasb_bf16_transpose_from_f32(const float *src, int rows, int cols, int lds, uint16_t *dst, int ldd) {
    for (int i0 = 0; i0 < rows; i0 += 16) {
        int i1 = i0 + 16 < rows ? i0 + 16 : rows;
        for (int j0 = 0; j0 < cols; j0 += 16) {
            int j1 = j0 + 16 < cols ? j0 + 16 : cols;
            if (i1 - i0 == 16 && j1 - j0 == 16) {
                __m512i r[16];
                for (int i = 0; i < 16; i++) r[i] = _mm512_castps_si512(_mm512_loadu_ps(src + (size_t)(i0 + i) * lds + j0));
                transpose16(r);
                for (int j = 0; j < 16; j++)
                    _mm256_storeu_si256((__m256i *)(dst + (size_t)(j0 + j) * ldd + i0),
                                        (__m256i)_mm512_cvtneps_pbh(_mm512_castsi512_ps(r[j])));
                continue;
            }
            for (int j = j0; j < j1; j++)
                for (int i = i0; i < i1; i++) dst[(size_t)j * ldd + i] = bf16_round(src[(size_t)i * lds + j]);
        }
    }
}

// Full panels, whole blocks of 16 pairs: B stored [n×k], pairs adjacent in a row. Loads 16
// pairs of 16 rows and transposes them. Returns the pairs packed.
BF16_TARGET static int pack_rows_vector(const uint16_t *b, int ldb, int pc, int kc, int col, uint32_t *panel) {
    int p = 0;
    for (; 2 * (p + 16) <= kc; p += 16) {
        for (int half = 0; half < 2; half++) {
            __m512i r[16];
            for (int j = 0; j < 16; j++)
                r[j] = _mm512_loadu_si512((const void *)(b + (size_t)(col + half * 16 + j) * ldb + pc + 2 * p));
            transpose16(r);
            for (int q = 0; q < 16; q++) _mm512_store_si512((void *)(panel + (size_t)(p + q) * NR + half * 16), r[q]);
        }
    }
    return p;
}

// Full panels: B stored [k×n], pairs from rows 2p and 2p+1; interleaves 32 columns of both.
// Returns the pairs packed.
BF16_TARGET static int pack_columns_vector(const uint16_t *b, int ldb, int pc, int kc, int col, uint32_t *panel) {
    const __m512i first = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
    const __m512i second = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    int p = 0;
    for (; 2 * p + 1 < kc; p++) {
        __m512i lo = _mm512_loadu_si512((const void *)(b + (size_t)(pc + 2 * p) * ldb + col));
        __m512i hi = _mm512_loadu_si512((const void *)(b + (size_t)(pc + 2 * p + 1) * ldb + col));
        __m512i a = _mm512_unpacklo_epi16(lo, hi), c = _mm512_unpackhi_epi16(lo, hi);
        _mm512_store_si512((void *)(panel + (size_t)p * NR), _mm512_permutex2var_epi64(a, first, c));
        _mm512_store_si512((void *)(panel + (size_t)p * NR + 16), _mm512_permutex2var_epi64(a, second, c));
    }
    return p;
}

// Packs op(B)[pc..<pc+kc][jc..<jc+nc] into panels of NR columns × ceil(kc/2) pairs; columns
// beyond nc and the second half of an odd last pair are zero, so they add nothing. Full
// panels go through the vector packers; what they leave (edges) is packed one word at a time.
static void pack_b(int transpose_b, const uint16_t *b, int ldb, int pc, int kc, int jc, int nc,
                   uint32_t *dst) {
    int kp = (kc + 1) / 2;
    for (int jr = 0; jr < nc; jr += NR) {
        uint32_t *panel = dst + (size_t)(jr / NR) * kp * NR;
        int nr = nc - jr < NR ? nc - jr : NR;
        int done = 0;
        if (nr == NR)
            done = transpose_b ? pack_rows_vector(b, ldb, pc, kc, jc + jr, panel)
                               : pack_columns_vector(b, ldb, pc, kc, jc + jr, panel);
        for (int j = 0; j < NR; j++) {
            if (j >= nr) {
                for (int p = done; p < kp; p++) panel[p * NR + j] = 0;
                continue;
            }
            int col = jc + jr + j;
            if (transpose_b) {   // op(B)[k][col] = B[col][k]: pairs are adjacent in B's row
                const uint16_t *row = b + (size_t)col * ldb + pc;
                for (int p = done; p < kp; p++) {
                    uint16_t hi = 2 * p + 1 < kc ? row[2 * p + 1] : 0;
                    panel[p * NR + j] = bf16_pair(row[2 * p], hi);
                }
            } else {             // op(B)[k][col] = B[k][col]: pairs come from two rows
                const uint16_t *top = b + (size_t)pc * ldb + col;
                for (int p = done; p < kp; p++) {
                    uint16_t lo = top[(size_t)(2 * p) * ldb];
                    uint16_t hi = 2 * p + 1 < kc ? top[(size_t)(2 * p + 1) * ldb] : 0;
                    panel[p * NR + j] = bf16_pair(lo, hi);
                }
            }
        }
    }
}

// C tile (rows × NR, columns masked by m0/m1) = beta·C + sum when `first`, else C += sum.
BF16_TARGET static inline void store_row(float *c, __m512 s0, __m512 s1, __mmask16 m0, __mmask16 m1,
                                         int first, float beta) {
    if (first) {
        if (beta != 0) {
            __m512 vb = _mm512_set1_ps(beta);
            s0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), s0);
            s1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), s1);
        }
    } else {
        s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(m0, c));
        s1 = _mm512_add_ps(s1, _mm512_maskz_loadu_ps(m1, c + 16));
    }
    _mm512_mask_storeu_ps(c, m0, s0);
    _mm512_mask_storeu_ps(c + 16, m1, s1);
}

// MR full rows: `a` points at the tile's first row at this k block (32-bit words, row stride
// lda32), `bp` at the packed NR-column micro-panel.
BF16_TARGET static void kernel_mr(int kp, const uint32_t *a, int lda32, const uint32_t *bp,
                                  float *c, int ldc, __mmask16 m0, __mmask16 m1, int first, float beta) {
    __m512 acc[MR][2];
    for (int i = 0; i < MR; i++) { acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps(); }
    for (int p = 0; p < kp; p++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512((const void *)(bp + (size_t)p * NR));
        __m512bh b1 = (__m512bh)_mm512_load_si512((const void *)(bp + (size_t)p * NR + 16));
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[(size_t)i * lda32 + p]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
    }
    for (int i = 0; i < MR; i++) store_row(c + (size_t)i * ldc, acc[i][0], acc[i][1], m0, m1, first, beta);
}

// Fewer than MR rows (the bottom edge): one row at a time.
BF16_TARGET static void kernel_rows(int rows, int kp, const uint32_t *a, int lda32, const uint32_t *bp,
                                    float *c, int ldc, __mmask16 m0, __mmask16 m1, int first, float beta) {
    for (int i = 0; i < rows; i++) {
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        const uint32_t *ai = a + (size_t)i * lda32;
        for (int p = 0; p < kp; p++) {
            __m512bh av = (__m512bh)_mm512_set1_epi32((int)ai[p]);
            s0 = _mm512_dpbf16_ps(s0, av, (__m512bh)_mm512_load_si512((const void *)(bp + (size_t)p * NR)));
            s1 = _mm512_dpbf16_ps(s1, av, (__m512bh)_mm512_load_si512((const void *)(bp + (size_t)p * NR + 16)));
        }
        store_row(c + (size_t)i * ldc, s0, s1, m0, m1, first, beta);
    }
}

static __mmask16 column_mask(int columns) {
    return columns >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (columns > 0 ? columns : 0)) - 1u);
}

BF16_TARGET void lorasb_bf16_gemm(int transpose_b, int m, int n, int k,
                                  const uint16_t *a, int lda, const uint16_t *b, int ldb,
                                  float beta, float *c, int ldc, int n0, int n1) {
    (void)n;
    if (m <= 0 || n1 <= n0) return;
    uint32_t *bp = packing_buffer();
    if (!bp) abort();
    int lda32 = lda / 2;
    if (k <= 0) {   // nothing to add: C = beta·C
        for (int i = 0; i < m; i++)
            for (int j = n0; j < n1; j++) c[(size_t)i * ldc + j] = beta == 0 ? 0 : beta * c[(size_t)i * ldc + j];
        return;
    }
    for (int jc = n0; jc < n1; jc += NC) {
        int nc = n1 - jc < NC ? n1 - jc : NC;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = k - pc < KC ? k - pc : KC;
            int kp = (kc + 1) / 2;
            int first = pc == 0;
            pack_b(transpose_b, b, ldb, pc, kc, jc, nc, bp);
            const uint32_t *a_block = (const uint32_t *)(a + pc);
            for (int ic = 0; ic < m; ic += MC) {
                int mc = m - ic < MC ? m - ic : MC;
                for (int jr = 0; jr < nc; jr += NR) {
                    int nr = nc - jr < NR ? nc - jr : NR;
                    __mmask16 m0 = column_mask(nr), m1 = column_mask(nr - 16);
                    const uint32_t *panel = bp + (size_t)(jr / NR) * kp * NR;
                    float *c_col = c + (size_t)ic * ldc + jc + jr;
                    const uint32_t *a_rows = a_block + (size_t)ic * lda32;
                    int i = 0;
                    for (; i + MR <= mc; i += MR)
                        kernel_mr(kp, a_rows + (size_t)i * lda32, lda32, panel, c_col + (size_t)i * ldc, ldc,
                                  m0, m1, first, beta);
                    if (i < mc)
                        kernel_rows(mc - i, kp, a_rows + (size_t)i * lda32, lda32, panel, c_col + (size_t)i * ldc,
                                    ldc, m0, m1, first, beta);
                }
            }
        }
    }
}
