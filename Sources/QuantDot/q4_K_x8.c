// Q4_K rows interleaved by 8, as llama.cpp's CPU backend repacks them (repack.cpp,
// block_q4_Kx8): a super-block of 8 rows keeps their d, dmin, scales and nibbles side by side.
// One 32-byte load then brings 4 nibble bytes of each of the 8 rows, 4 activation bytes are
// broadcast against all of them, and the 8 rows' sums come out in the 8 lanes of one register:
// no horizontal sum per row, and each sub-block's scales are unpacked once for 8 rows. The
// one-row kernel spends more instructions on those two than on the products themselves at
// batch 1, where the product should be bound by reading the weight.
//
// Our interleave is 4 bytes (llama.cpp's 8, which needs a blend and shuffle per product); the
// scales are packed as llama.cpp packs them: sub-block s of the 8 rows in 12 bytes, laid out
// as Q4_K lays out the 8 sub-blocks of one row, so k4_scales_mins unpacks either.
#include "dot_kernels.h"

static const block_q4_K *source_block(const void *w, size_t row_bytes, const int64_t *order, int row, int b) {
    return (const block_q4_K *)((const uint8_t *)w + (size_t)(order ? order[row] : row) * row_bytes) + b;
}

void x8_q4_K_pack(const void *w, size_t row_bytes, const int64_t *order, int n, int group0, int group1,
                        void *out) {
    const int blocks = n / QK_K;
    block_q4_Kx8 *dst = (block_q4_Kx8 *)out + (size_t)group0 * blocks;
    for (int g = group0; g < group1; g++) {
        for (int b = 0; b < blocks; b++, dst++) {
            uint8_t sm[8][16];   // row r: its 8 scales, then its 8 mins
            for (int r = 0; r < 8; r++) {
                const block_q4_K *src = source_block(w, row_bytes, order, 8 * g + r, b);
                dst->d[r] = src->d;
                dst->dmin[r] = src->dmin;
                k4_scales_mins(src->scales, sm[r]);
                for (int c = 0; c < 32; c++) memcpy(dst->qs + 32 * c + 4 * r, src->qs + 4 * c, 4);
            }
            for (int s = 0; s < 8; s++) {
                uint8_t sc[8], mn[8];
                for (int r = 0; r < 8; r++) { sc[r] = sm[r][s]; mn[r] = sm[r][8 + s]; }
                k4_pack_scales_mins(sc, mn, dst->scales + 12 * s);
            }
        }
    }
}

void x8_q4_K_unpack_row(const void *packed, int n, int row, void *out) {
    const int blocks = n / QK_K, r = row % 8;
    const block_q4_Kx8 *src = (const block_q4_Kx8 *)packed + (size_t)(row / 8) * blocks;
    block_q4_K *dst = out;
    for (int b = 0; b < blocks; b++, src++, dst++) {
        dst->d = src->d[r];
        dst->dmin = src->dmin[r];
        uint8_t sc[8], mn[8];
        for (int s = 0; s < 8; s++) {
            uint8_t sm[16];
            k4_scales_mins(src->scales + 12 * s, sm);
            sc[s] = sm[r];
            mn[s] = sm[8 + r];
        }
        k4_pack_scales_mins(sc, mn, dst->scales);
        for (int c = 0; c < 32; c++) memcpy(dst->qs + 4 * c, src->qs + 32 * c + 4 * r, 4);
    }
}

#if defined(__x86_64__)
#include "avx2.h"

// The 8 rows of one group against `nact` ≤ 4 activation rows (a constant in each inlined copy,
// so the accumulators stay in registers): y[t·ldy + r] for row r of the group.
INLINE void group_rows(int blocks, const block_q4_Kx8 *w, const uint8_t *a, size_t as, float *y, size_t ldy,
                       const int nact) {
    const __m256i m4 = _mm256_set1_epi8(0xF);
    __m256 acc[4], acc_min[4];
    for (int t = 0; t < nact; t++) acc[t] = acc_min[t] = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++, w++) {
        uint8_t sm[8][16];   // sub-block s: the 8 rows' scales, then their mins
        for (int s = 0; s < 8; s++) k4_scales_mins(w->scales + 12 * s, sm[s]);
        __m256i sum[4], sum_min[4];
        for (int t = 0; t < nact; t++) sum[t] = sum_min[t] = _mm256_setzero_si256();
        for (int j = 0; j < 4; j++) {   // sub-blocks 2j (low nibbles) and 2j + 1 (high nibbles)
            // Lane r holds two int16 partial sums of row r: 8 products of ≤ 15 · 128 · 2 fit.
            __m256i lo16[4], hi16[4];
            for (int t = 0; t < nact; t++) lo16[t] = hi16[t] = _mm256_setzero_si256();
            for (int c = 0; c < 8; c++) {
                const __m256i bits = load32(w->qs + 256 * j + 32 * c);
                const __m256i lo = _mm256_and_si256(bits, m4), hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
                for (int t = 0; t < nact; t++) {
                    const int8_t *q8 = ((const block_q8_K *)(a + (size_t)t * as))[b].qs + 64 * j + 4 * c;
                    int32_t x_lo, x_hi;
                    memcpy(&x_lo, q8, 4);
                    memcpy(&x_hi, q8 + 32, 4);
                    lo16[t] = _mm256_add_epi16(lo16[t], _mm256_maddubs_epi16(lo, _mm256_set1_epi32(x_lo)));
                    hi16[t] = _mm256_add_epi16(hi16[t], _mm256_maddubs_epi16(hi, _mm256_set1_epi32(x_hi)));
                }
            }
            // each row's scale in both int16 of its lane
            const __m128i s_lo = _mm_loadl_epi64((const __m128i *)sm[2 * j]), s_hi = _mm_loadl_epi64((const __m128i *)sm[2 * j + 1]);
            const __m256i scale_lo = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(s_lo, s_lo));
            const __m256i scale_hi = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(s_hi, s_hi));
            for (int t = 0; t < nact; t++)
                sum[t] = _mm256_add_epi32(sum[t], _mm256_add_epi32(_mm256_madd_epi16(lo16[t], scale_lo),
                                                                   _mm256_madd_epi16(hi16[t], scale_hi)));
        }
        for (int p = 0; p < 4; p++) {   // mins of sub-blocks 2p, 2p + 1 (lane r: row r's pair) · the activation's sums
            const __m256i mins = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(sm[2 * p] + 8)),
                                                                        _mm_loadl_epi64((const __m128i *)(sm[2 * p + 1] + 8))));
            for (int t = 0; t < nact; t++) {
                const int16_t *bs = ((const block_q8_K *)(a + (size_t)t * as))[b].bsums + 4 * p;
                const uint32_t pair = (uint16_t)(bs[0] + bs[1]) | (uint32_t)(uint16_t)(bs[2] + bs[3]) << 16;
                sum_min[t] = _mm256_add_epi32(sum_min[t], _mm256_madd_epi16(mins, _mm256_set1_epi32((int)pair)));
            }
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->d));
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->dmin));
        for (int t = 0; t < nact; t++) {
            const __m256 ad = _mm256_set1_ps(((const block_q8_K *)(a + (size_t)t * as))[b].d);
            acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(d, ad), _mm256_cvtepi32_ps(sum[t]), acc[t]);
            acc_min[t] = _mm256_fmadd_ps(_mm256_mul_ps(dmin, ad), _mm256_cvtepi32_ps(sum_min[t]), acc_min[t]);
        }
    }
    for (int t = 0; t < nact; t++) _mm256_storeu_ps(y + (size_t)t * ldy, _mm256_sub_ps(acc[t], acc_min[t]));
}

AVX2 void x8_q4_K_gemv_avx2(int n, const void *packed, int group0, int group1, const void *a, size_t as, int nact,
                           float *y, int ldy) {
    const int blocks = n / QK_K;
    for (int g = group0; g < group1; g++) {
        const block_q4_Kx8 *w = (const block_q4_Kx8 *)packed + (size_t)g * blocks;
        // activation rows 4 at a time; the group's weights stay in L2 between the passes
        for (int j0 = 0; j0 < nact; j0 += 4) {
            const uint8_t *rows = (const uint8_t *)a + (size_t)j0 * as;
            float *out = y + (size_t)j0 * ldy + 8 * g;
            switch (nact - j0 < 4 ? nact - j0 : 4) {
            case 1: group_rows(blocks, w, rows, as, out, (size_t)ldy, 1); break;
            case 2: group_rows(blocks, w, rows, as, out, (size_t)ldy, 2); break;
            case 3: group_rows(blocks, w, rows, as, out, (size_t)ldy, 3); break;
            default: group_rows(blocks, w, rows, as, out, (size_t)ldy, 4); break;
            }
        }
    }
}
#endif
