// AVX2 dot products, after ggml's (ggml-cpu/arch/x86/quants.c). The core step multiplies 32
// unsigned bytes by 32 signed bytes into pairs of int16 (vpmaddubsw), then pairs of those into
// int32 (vpmaddwd), so the integer part of a block is exact; each block's sum is scaled and
// accumulated in 8 float lanes, added across at the end (the only rounding that differs from
// the plain C kernels: the order of the float sums).
#include "dot_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))

static inline AVX2 float fp16(uint16_t h) { return _cvtsh_ss(h); }

static inline AVX2 float hsum_f32x8(__m256 x) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

// Σ of u·s over pairs of bytes (u unsigned ≤ 127 + 128, s signed), as 8 floats of 4 products.
static inline AVX2 __m256 dot_u8_i8(__m256i u, __m256i s) {
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_set1_epi16(1), _mm256_maddubs_epi16(u, s)));
}

// The same for two signed operands: |x| times y with x's sign moved onto y.
static inline AVX2 __m256 dot_i8_i8(__m256i x, __m256i y) {
    return dot_u8_i8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
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

AVX2 float qdot_q4_0_avx2(int n, const void *vw, const void *va) {
    const block_q4_0 *w = vw; const block_q8_0 *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / QK; b++) {
        const __m256i q = _mm256_sub_epi8(nibbles_32(w[b].qs), _mm256_set1_epi8(8));
        const __m256 s = dot_i8_i8(q, _mm256_loadu_si256((const __m256i *)a[b].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(w[b].d) * fp16(a[b].d)), s, acc);
    }
    return hsum_f32x8(acc);
}

AVX2 float qdot_q4_1_avx2(int n, const void *vw, const void *va) {
    const block_q4_1 *w = vw; const block_q8_1 *a = va;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int b = 0; b < n / QK; b++) {
        mins += fp16(w[b].m) * fp16(a[b].s);
        const __m256 s = dot_u8_i8(nibbles_32(w[b].qs), _mm256_loadu_si256((const __m256i *)a[b].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(w[b].d) * fp16(a[b].d)), s, acc);
    }
    return hsum_f32x8(acc) + mins;
}

// The fifth bit: where it is clear, OR-ing 0xF0 makes the byte q − 16 as a signed value.
AVX2 float qdot_q5_0_avx2(int n, const void *vw, const void *va) {
    const block_q5_0 *w = vw; const block_q8_0 *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / QK; b++) {
        const __m256i high = _mm256_andnot_si256(bits_32(w[b].qh), _mm256_set1_epi8((char)0xF0));
        const __m256i q = _mm256_or_si256(nibbles_32(w[b].qs), high);
        const __m256 s = dot_i8_i8(q, _mm256_loadu_si256((const __m256i *)a[b].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(w[b].d) * fp16(a[b].d)), s, acc);
    }
    return hsum_f32x8(acc);
}

AVX2 float qdot_q5_1_avx2(int n, const void *vw, const void *va) {
    const block_q5_1 *w = vw; const block_q8_1 *a = va;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int b = 0; b < n / QK; b++) {
        mins += fp16(w[b].m) * fp16(a[b].s);
        const __m256i high = _mm256_and_si256(bits_32(w[b].qh), _mm256_set1_epi8(0x10));
        const __m256i q = _mm256_or_si256(nibbles_32(w[b].qs), high);
        const __m256 s = dot_u8_i8(q, _mm256_loadu_si256((const __m256i *)a[b].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(w[b].d) * fp16(a[b].d)), s, acc);
    }
    return hsum_f32x8(acc) + mins;
}

AVX2 float qdot_q8_0_avx2(int n, const void *vw, const void *va) {
    const block_q8_0 *w = vw; const block_q8_0 *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / QK; b++) {
        const __m256 s = dot_i8_i8(_mm256_loadu_si256((const __m256i *)w[b].qs),
                                   _mm256_loadu_si256((const __m256i *)a[b].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(w[b].d) * fp16(a[b].d)), s, acc);
    }
    return hsum_f32x8(acc);
}

// Σ over the 8 mins of min_s · (bsums[2s] + bsums[2s+1]) for one Q8_K block, as int32 lanes.
static inline AVX2 int k4_min_sum(const block_q8_K *a, __m128i mins16) {
    const __m256i bsums = _mm256_loadu_si256((const __m256i *)a->bsums);
    const __m128i pairs = _mm_hadd_epi16(_mm256_castsi256_si128(bsums), _mm256_extracti128_si256(bsums, 1));
    __m128i p = _mm_madd_epi16(mins16, pairs);
    p = _mm_add_epi32(p, _mm_unpackhi_epi64(p, p));
    p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 1));
    return _mm_cvtsi128_si32(p);
}

// The int16 scale of sub-block s broadcast to 16 lanes (scales are 0..63).
static inline AVX2 __m256i k4_scale(const uint8_t sm[16], int s) { return _mm256_set1_epi16(sm[s]); }

// Q4_K and Q5_K share all but the fifth bit: `qh` NULL for Q4_K.
static inline AVX2 float k4_dot_avx2(int n, const uint8_t *w, size_t block_bytes, const block_q8_K *a, int has_qh) {
    const __m256i m4 = _mm256_set1_epi8(0xF);
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int b = 0; b < n / QK_K; b++, w += block_bytes) {
        const block_q4_K *blk = (const block_q4_K *)w;   // d, dmin, scales lie alike in Q5_K
        const uint8_t *qs = has_qh ? ((const block_q5_K *)w)->qs : blk->qs;
        uint8_t sm[16];
        k4_scales_mins(blk->scales, sm);
        const __m128i mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(sm + 8)));
        mins -= fp16(blk->dmin) * a[b].d * (float)k4_min_sum(&a[b], mins16);
        const __m256i hbits = has_qh ? _mm256_loadu_si256((const __m256i *)((const block_q5_K *)w)->qh) : _mm256_setzero_si256();
        const int8_t *q8 = a[b].qs;
        __m256i sum = _mm256_setzero_si256();
        for (int j = 0; j < 4; j++, qs += 32, q8 += 64) {
            const __m256i bits = _mm256_loadu_si256((const __m256i *)qs);
            __m256i lo = _mm256_and_si256(bits, m4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
            if (has_qh) {   // bit 2j of qh[l] is value l's fifth bit in sub-block 2j, bit 2j+1 in 2j+1
                const __m256i one = _mm256_set1_epi8(1);
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j), one), 4));
                hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j + 1), one), 4));
            }
            const __m256i plo = _mm256_madd_epi16(k4_scale(sm, 2 * j), _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)q8)));
            const __m256i phi = _mm256_madd_epi16(k4_scale(sm, 2 * j + 1), _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 32))));
            sum = _mm256_add_epi32(sum, _mm256_add_epi32(plo, phi));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(blk->d) * a[b].d), _mm256_cvtepi32_ps(sum), acc);
    }
    return hsum_f32x8(acc) + mins;
}

AVX2 float qdot_q4_K_avx2(int n, const void *w, const void *a) { return k4_dot_avx2(n, w, sizeof(block_q4_K), a, 0); }
AVX2 float qdot_q5_K_avx2(int n, const void *w, const void *a) { return k4_dot_avx2(n, w, sizeof(block_q5_K), a, 1); }

// Q6_K: values are 0..63 unsigned with the −32 taken out afterwards as 32·Σ scale·bsum, so
// vpmaddubsw can take them as its unsigned operand.
AVX2 float qdot_q6_K_avx2(int n, const void *vw, const void *va) {
    const block_q6_K *w = vw; const block_q8_K *a = va;
    const __m256i m3 = _mm256_set1_epi8(3), m15 = _mm256_set1_epi8(15);
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / QK_K; b++) {
        const __m128i scales = _mm_loadu_si128((const __m128i *)w[b].scales);
        const __m256i offset = _mm256_slli_epi32(
            _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)a[b].bsums), _mm256_cvtepi8_epi16(scales)), 5);
        const uint8_t *ql = w[b].ql, *qh = w[b].qh;
        const int8_t *q8 = a[b].qs;
        __m256i sum = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++, ql += 64, qh += 32, q8 += 128) {
            const __m256i l0 = _mm256_loadu_si256((const __m256i *)ql);
            const __m256i l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            const __m256i h = _mm256_loadu_si256((const __m256i *)qh);
            const __m256i q[4] = {
                _mm256_or_si256(_mm256_and_si256(l0, m15), _mm256_slli_epi16(_mm256_and_si256(h, m3), 4)),
                _mm256_or_si256(_mm256_and_si256(l1, m15), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m3), 4)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m15), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m3), 4)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m15), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m3), 4)),
            };
            for (int k = 0; k < 4; k++) {
                // the scales of this run's two groups of 16, as int16 in the matching lanes
                const int s0 = w[b].scales[half * 8 + 2 * k], s1 = w[b].scales[half * 8 + 2 * k + 1];
                const __m256i sc = _mm256_set_m128i(_mm_set1_epi16((short)s1), _mm_set1_epi16((short)s0));
                const __m256i p = _mm256_maddubs_epi16(q[k], _mm256_loadu_si256((const __m256i *)(q8 + 32 * k)));
                sum = _mm256_add_epi32(sum, _mm256_madd_epi16(sc, p));
            }
        }
        sum = _mm256_sub_epi32(sum, offset);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16(w[b].d) * a[b].d), _mm256_cvtepi32_ps(sum), acc);
    }
    return hsum_f32x8(acc);
}

#endif
