// AVX2 dot products, after ggml's (ggml-cpu/arch/x86/quants.c). The core step multiplies 32
// unsigned bytes by 32 signed bytes into pairs of int16 (vpmaddubsw), then pairs of those into
// int32 (vpmaddwd), so the integer part of a block is exact; each block's sum is scaled and
// accumulated in 8 float lanes, added across at the end (the only rounding that differs from
// the plain C kernels: the order of the float sums).
//
// Every kernel takes a weight row against up to 8 activation rows at once (ggml's `nrc`): a
// weight block is unpacked once into registers and multiplied with the same block of each
// activation row, each row keeping its own accumulators. The number of rows is a constant in
// each inlined copy (ROWS_KERNELS), so the accumulators stay in registers. The integer sums are
// exact whatever the grouping; a batch's results differ from its rows' one at a time only in
// the order of the float sums (one row alone splits the 32-value types' sums in two chains).
#include "dot_kernels.h"

#if defined(__x86_64__)
#include "avx2.h"

// Σ of u·s over pairs of bytes (u unsigned ≤ 127 + 128, s signed), as 8 floats of 4 products.
static inline AVX2 __m256 dot_u8_i8(__m256i u, __m256i s) {
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_set1_epi16(1), _mm256_maddubs_epi16(u, s)));
}

// 16 bytes of nibbles → 32 bytes 0..15: low nibbles (values 0..15) then high (16..31).
static inline AVX2 __m256i nibbles_32(const uint8_t *p) {
    const __m128i t = _mm_loadu_si128((const __m128i *)p);
    return _mm256_and_si256(_mm256_set1_epi8(0xF), _mm256_set_m128i(_mm_srli_epi16(t, 4), t));
}

// 32 bits → 32 bytes, 0xFF where the bit is set.
static inline AVX2 __m256i bits_32(const uint8_t *p) {
    uint32_t x; memcpy(&x, p, 4);
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x),
        _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
    return _mm256_cmpeq_epi8(_mm256_or_si256(spread, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe)), _mm256_set1_epi64x(-1));
}

// Activation row j of a batch: rows lie `stride` bytes apart.
#define ACT(type, a, stride, j) ((const type *)((const uint8_t *)(a) + (size_t)(j) * (stride)))

// The 32-value types, one kernel: `t` (a constant after inlining) picks the unpacking. Q4_0,
// Q5_0 and Q8_0 values are signed (|q| times the activation with q's sign moved onto it); Q4_1
// and Q5_1 values are unsigned, and their minimum m multiplies the activation's s = d·Σq.
// `ds` holds the activation blocks' d (and s) as fp32, 8 rows per block (qdot_gather_scales):
// the minimums of all rows take one vector FMA per block. One row alone alternates two banks of
// accumulators between blocks, so consecutive blocks' FMAs do not wait for each other.
enum { T_Q4_0 = 2, T_Q4_1 = 3, T_Q5_0 = 6, T_Q5_1 = 7, T_Q8_0 = 8 };

INLINE void rows_32(int t, int n, const void *vw, const void *a, size_t as, const float *ds, float *y, size_t ys,
                    const int nact) {
    const int has_min = t == T_Q4_1 || t == T_Q5_1, banks = nact == 1 ? 2 : 1, blocks = n / QK;
    const float *dsum = ds + (size_t)blocks * 8;   // s of Q8_1, after the d
    __m256 acc[2][8], mins[2];
    for (int u = 0; u < banks; u++) {
        mins[u] = _mm256_setzero_ps();
        for (int j = 0; j < nact; j++) acc[u][j] = _mm256_setzero_ps();
    }
    for (int b0 = 0; b0 < blocks; b0 += banks) {
        for (int u = 0; u < banks && b0 + u < blocks; u++) {
            const int b = b0 + u;
            __m256i q;
            float d, m = 0;
            switch (t) {
            case T_Q4_0: { const block_q4_0 *w = (const block_q4_0 *)vw + b; d = fp16(w->d);
                q = _mm256_sub_epi8(nibbles_32(w->qs), _mm256_set1_epi8(8)); break; }
            case T_Q4_1: { const block_q4_1 *w = (const block_q4_1 *)vw + b; fp16_pair(&w->d, &d, &m);
                q = nibbles_32(w->qs); break; }
            case T_Q5_0: { const block_q5_0 *w = (const block_q5_0 *)vw + b; d = fp16(w->d);
                // the fifth bit: where it is clear, OR-ing 0xF0 makes the byte q − 16 as a signed value
                q = _mm256_or_si256(nibbles_32(w->qs), _mm256_andnot_si256(bits_32(w->qh), _mm256_set1_epi8((char)0xF0))); break; }
            case T_Q5_1: { const block_q5_1 *w = (const block_q5_1 *)vw + b; fp16_pair(&w->d, &d, &m);
                q = _mm256_or_si256(nibbles_32(w->qs), _mm256_and_si256(bits_32(w->qh), _mm256_set1_epi8(0x10))); break; }
            default: { const block_q8_0 *w = (const block_q8_0 *)vw + b; d = fp16(w->d);
                q = load32(w->qs); break; }
            }
            const float *db = ds + (size_t)b * 8;
            if (has_min) {
                mins[u] = _mm256_fmadd_ps(_mm256_set1_ps(m), _mm256_loadu_ps(dsum + (size_t)b * 8), mins[u]);
                for (int j = 0; j < nact; j++) {
                    const block_q8_1 *x = ACT(block_q8_1, a, as, j) + b;
                    acc[u][j] = _mm256_fmadd_ps(_mm256_set1_ps(d * db[j]), dot_u8_i8(q, load32(x->qs)), acc[u][j]);
                }
            } else {
                const __m256i magnitude = _mm256_sign_epi8(q, q);
                for (int j = 0; j < nact; j++) {
                    const block_q8_0 *x = ACT(block_q8_0, a, as, j) + b;
                    const __m256 s = dot_u8_i8(magnitude, _mm256_sign_epi8(load32(x->qs), q));
                    acc[u][j] = _mm256_fmadd_ps(_mm256_set1_ps(d * db[j]), s, acc[u][j]);
                }
            }
        }
    }
    float m[8];
    _mm256_storeu_ps(m, banks == 2 ? _mm256_add_ps(mins[0], mins[1]) : mins[0]);
    for (int j = 0; j < nact; j++) {
        const float sum = hsum_f32x8(banks == 2 ? _mm256_add_ps(acc[0][j], acc[1][j]) : acc[0][j]);
        y[(size_t)j * ys] = has_min ? sum + m[j] : sum;
    }
}

// Q4_K and Q5_K share all but the fifth bit (`has_qh`, a constant after inlining). Per block,
// the activation rows' d and the pair sums of their bsums come from `ds` (qdot_gather_scales),
// so the minimums of all rows take four vpmaddwd and one FMA.
INLINE void rows_k4(int has_qh, int n, const void *vw, const void *a, size_t as, const float *ds, float *y, size_t ys,
                    const int nact) {
    const size_t block_bytes = has_qh ? sizeof(block_q5_K) : sizeof(block_q4_K);
    const int blocks = n / QK_K;
    const int16_t *pairs = (const int16_t *)(ds + (size_t)blocks * 8);
    const __m256i m4 = _mm256_set1_epi8(0xF), one = _mm256_set1_epi8(1);
    __m256 acc[8], mins = _mm256_setzero_ps();
    for (int j = 0; j < nact; j++) acc[j] = _mm256_setzero_ps();
    const uint8_t *w = vw;
    for (int b = 0; b < blocks; b++, w += block_bytes) {
        const block_q4_K *blk = (const block_q4_K *)w;   // d, dmin, scales lie alike in Q5_K
        const uint8_t *qs = has_qh ? ((const block_q5_K *)w)->qs : blk->qs;
        uint8_t sm[16];
        k4_scales_mins(blk->scales, sm);
        float d, dmin;
        fp16_pair(&blk->d, &d, &dmin);
        const __m256 ad = _mm256_loadu_ps(ds + (size_t)b * 8);
        __m256i min_sum = _mm256_setzero_si256();
        for (int t = 0; t < 4; t++) {   // mins 2t, 2t + 1 against each row's sums of sub-blocks 2t, 2t + 1
            const __m256i m = _mm256_set1_epi32(sm[8 + 2 * t] | sm[8 + 2 * t + 1] << 16);
            min_sum = _mm256_add_epi32(min_sum, _mm256_madd_epi16(m, load32(pairs + ((size_t)b * 4 + t) * 16)));
        }
        mins = _mm256_fnmadd_ps(_mm256_mul_ps(_mm256_set1_ps(dmin), ad), _mm256_cvtepi32_ps(min_sum), mins);
        const __m256i hbits = has_qh ? load32(((const block_q5_K *)w)->qh) : _mm256_setzero_si256();
        __m256i sum[8];
        for (int j = 0; j < nact; j++) sum[j] = _mm256_setzero_si256();
        for (int i = 0; i < 4; i++, qs += 32) {
            // low nibbles are sub-block 2i, high ones 2i + 1; bit 2i / 2i + 1 of qh[l] their fifth bits
            const __m256i bits = load32(qs);
            __m256i lo = _mm256_and_si256(bits, m4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
            if (has_qh) {
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * i), one), 4));
                hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * i + 1), one), 4));
            }
            const __m256i scale_lo = _mm256_set1_epi16(sm[2 * i]), scale_hi = _mm256_set1_epi16(sm[2 * i + 1]);
            for (int j = 0; j < nact; j++) {
                const int8_t *q8 = ACT(block_q8_K, a, as, j)[b].qs + 64 * i;
                const __m256i plo = _mm256_madd_epi16(scale_lo, _mm256_maddubs_epi16(lo, load32(q8)));
                const __m256i phi = _mm256_madd_epi16(scale_hi, _mm256_maddubs_epi16(hi, load32(q8 + 32)));
                sum[j] = _mm256_add_epi32(sum[j], _mm256_add_epi32(plo, phi));
            }
        }
        for (int j = 0; j < nact; j++)
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * ds[(size_t)b * 8 + j]), _mm256_cvtepi32_ps(sum[j]), acc[j]);
    }
    float m[8];
    _mm256_storeu_ps(m, mins);
    for (int j = 0; j < nact; j++) y[(size_t)j * ys] = hsum_f32x8(acc[j]) + m[j];
}

// Q6_K: values are 0..63 unsigned with the −32 taken out afterwards as 32·Σ scale·bsum, so
// vpmaddubsw can take them as its unsigned operand. (`unused` keeps the kernels' shape.)
INLINE void rows_q6_K(int unused, int n, const void *vw, const void *a, size_t as, const float *ds, float *y, size_t ys,
                      const int nact) {
    (void)unused; (void)ds;   // Q8_K's d is fp32 in its block
    const block_q6_K *w = vw;
    const __m256i m3 = _mm256_set1_epi8(3), m15 = _mm256_set1_epi8(15);
    __m256 acc[8];
    for (int j = 0; j < nact; j++) acc[j] = _mm256_setzero_ps();
    for (int b = 0; b < n / QK_K; b++) {
        const __m128i scales8 = _mm_loadu_si128((const __m128i *)w[b].scales);
        const __m256i scales16 = _mm256_cvtepi8_epi16(scales8);
        __m256i sum[8];
        for (int j = 0; j < nact; j++) sum[j] = _mm256_setzero_si256();
        const uint8_t *ql = w[b].ql, *qh = w[b].qh;
        for (int half = 0; half < 2; half++, ql += 64, qh += 32) {
            const __m256i l0 = load32(ql), l1 = load32(ql + 32), h = load32(qh);
            for (int k = 0; k < 4; k++) {
                // value l + 32k: the low (k < 2) or high nibble of ql[l + 32·(k % 2)], bits 2k, 2k + 1 of qh[l]
                const __m256i low = _mm256_and_si256(k < 2 ? (k ? l1 : l0) : _mm256_srli_epi16(k == 2 ? l0 : l1, 4), m15);
                const __m256i q = _mm256_or_si256(low, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2 * k), m3), 4));
                // the scales of this run's two groups of 16, as int16 in the matching lanes: one
                // byte shuffle of the block's 16 scales (a constant pattern once unrolled), where
                // building the vector from two scalar scales took three times the instructions
                const char g = (char)(half * 8 + 2 * k);
                const __m256i sc = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales8, _mm_set_epi8(g + 1, g + 1, g + 1, g + 1, g + 1, g + 1, g + 1, g + 1, g, g, g, g, g, g, g, g)));
                for (int j = 0; j < nact; j++) {
                    const int8_t *q8 = ACT(block_q8_K, a, as, j)[b].qs + half * 128 + 32 * k;
                    sum[j] = _mm256_add_epi32(sum[j], _mm256_madd_epi16(sc, _mm256_maddubs_epi16(q, load32(q8))));
                }
            }
        }
        for (int j = 0; j < nact; j++) {
            const block_q8_K *x = ACT(block_q8_K, a, as, j) + b;
            const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(load32(x->bsums), scales16), 5);
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(fp16(w[b].d) * x->d), _mm256_cvtepi32_ps(_mm256_sub_epi32(sum[j], offset)), acc[j]);
        }
    }
    for (int j = 0; j < nact; j++) y[(size_t)j * ys] = hsum_f32x8(acc[j]);
}

// Each type's one-row kernel and its batch kernel: 1 to 8 activation rows, the count a
// constant in each inlined copy of the body.
#define ROWS_KERNELS(name, format, body, arg) \
    AVX2 float qdot_##name##_avx2(int n, const void *w, const void *a) { \
        float ds[2 * 8 * (n / QK)], y; \
        qdot_gather_scales(format, n, a, 0, 1, ds); \
        body(arg, n, w, a, 0, ds, &y, 0, 1); \
        return y; \
    } \
    AVX2 void qdot_##name##_avx2_rows(int n, const void *w, const void *a, size_t as, const float *ds, int nact, \
                                      float *y, size_t ys) { \
        switch (nact) { \
        case 1: body(arg, n, w, a, as, ds, y, ys, 1); break; \
        case 2: body(arg, n, w, a, as, ds, y, ys, 2); break; \
        case 3: body(arg, n, w, a, as, ds, y, ys, 3); break; \
        case 4: body(arg, n, w, a, as, ds, y, ys, 4); break; \
        case 5: body(arg, n, w, a, as, ds, y, ys, 5); break; \
        case 6: body(arg, n, w, a, as, ds, y, ys, 6); break; \
        case 7: body(arg, n, w, a, as, ds, y, ys, 7); break; \
        default: body(arg, n, w, a, as, ds, y, ys, 8); break; \
        } \
    }

ROWS_KERNELS(q4_0, LORASB_Q8_0, rows_32, T_Q4_0)
ROWS_KERNELS(q4_1, LORASB_Q8_1, rows_32, T_Q4_1)
ROWS_KERNELS(q5_0, LORASB_Q8_0, rows_32, T_Q5_0)
ROWS_KERNELS(q5_1, LORASB_Q8_1, rows_32, T_Q5_1)
ROWS_KERNELS(q8_0, LORASB_Q8_0, rows_32, T_Q8_0)
ROWS_KERNELS(q4_K, LORASB_Q8_K, rows_k4, 0)
ROWS_KERNELS(q5_K, LORASB_Q8_K, rows_k4, 1)
ROWS_KERNELS(q6_K, LORASB_Q8_K, rows_q6_K, 0)

#endif
