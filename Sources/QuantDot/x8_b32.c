// Rows of the 32-value types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) interleaved by 8, as q4_K_x8.c does
// for Q4_K: a block of 8 rows holds their 8 fp16 d, then their 8 m (Q4_1, Q5_1), then their 8
// 32-bit masks of fifth bits (Q5_0, Q5_1), then their value bytes in 4-byte chunks (chunk c of
// row r at 32c + 4r). One load brings a chunk of all 8 rows, the activation's 4 bytes are
// broadcast against them, and each block's scales are converted once for the 8 rows.
//
// The one-row kernels spend ~20 instructions per 32 values, most of them per-block overhead
// (scale conversion, broadcast, a float multiply-add, and for Q5 the bit spreading), and the
// rows' sums end in a horizontal add each; here that overhead serves 8 rows.
//
// Unsigned values go into vpmaddubsw: Q4_0's q − 8 and Q5_0's q − 16 are taken as q, and 8 or
// 16 times the activation block's integer sum is taken off the integer result (exact). Q8_0's
// signed values go in as |w| against the activation with w's sign, as the one-row kernel does.
#include "dot_kernels.h"

#include <stdlib.h>

typedef struct {
    uint32_t type;
    int block_bytes;   // one row's block in the file
    int has_min;       // m after d (Q4_1, Q5_1)
    int has_qh;        // 4 bytes of fifth bits before the values (Q5_0, Q5_1)
    int value_bytes;   // 16 nibble bytes, or Q8_0's 32 int8
    int offset;        // what the stored unsigned value exceeds the true one by (Q4_0: 8, Q5_0: 16)
} b32_kind;

static const b32_kind b32_kinds[] = {
    {2, sizeof(block_q4_0), 0, 0, 16, 8},
    {3, sizeof(block_q4_1), 1, 0, 16, 0},
    {6, sizeof(block_q5_0), 0, 1, 16, 16},
    {7, sizeof(block_q5_1), 1, 1, 16, 0},
    {8, sizeof(block_q8_0), 0, 0, 32, 0},
};

static const b32_kind *b32_kind_of(uint32_t type) {
    for (size_t i = 0; i < sizeof b32_kinds / sizeof b32_kinds[0]; i++)
        if (b32_kinds[i].type == type) return &b32_kinds[i];
    return NULL;
}

int x8_b32_supports(uint32_t type) { return b32_kind_of(type) != NULL; }

size_t x8_b32_row_bytes(uint32_t type, int n) { return (size_t)b32_kind_of(type)->block_bytes * (size_t)(n / QK); }

// Where each part of an interleaved block lies.
static int m_at(const b32_kind *k) { (void)k; return 16; }
static int qh_at(const b32_kind *k) { return 16 + (k->has_min ? 16 : 0); }
static int values_at(const b32_kind *k) { return qh_at(k) + (k->has_qh ? 32 : 0); }

void x8_b32_pack(uint32_t type, const void *w, size_t row_bytes, const int64_t *order, int n, int group0, int group1,
                 void *out) {
    const b32_kind *k = b32_kind_of(type);
    const int blocks = n / QK, x8 = 8 * k->block_bytes;
    uint8_t *dst = (uint8_t *)out + (size_t)group0 * blocks * x8;
    for (int g = group0; g < group1; g++) {
        for (int b = 0; b < blocks; b++, dst += x8) {
            for (int r = 0; r < 8; r++) {
                const int row = 8 * g + r;
                const uint8_t *src = (const uint8_t *)w + (size_t)(order ? order[row] : row) * row_bytes + (size_t)b * k->block_bytes;
                int at = 2;
                memcpy(dst + 2 * r, src, 2);
                if (k->has_min) { memcpy(dst + m_at(k) + 2 * r, src + at, 2); at += 2; }
                if (k->has_qh) { memcpy(dst + qh_at(k) + 4 * r, src + at, 4); at += 4; }
                for (int c = 0; c < k->value_bytes / 4; c++) memcpy(dst + values_at(k) + 32 * c + 4 * r, src + at + 4 * c, 4);
            }
        }
    }
}

void x8_b32_unpack_row(uint32_t type, const void *packed, int n, int row, void *out) {
    const b32_kind *k = b32_kind_of(type);
    const int blocks = n / QK, x8 = 8 * k->block_bytes, r = row % 8;
    const uint8_t *src = (const uint8_t *)packed + (size_t)(row / 8) * blocks * x8;
    uint8_t *dst = out;
    for (int b = 0; b < blocks; b++, src += x8, dst += k->block_bytes) {
        int at = 2;
        memcpy(dst, src + 2 * r, 2);
        if (k->has_min) { memcpy(dst + at, src + m_at(k) + 2 * r, 2); at += 2; }
        if (k->has_qh) { memcpy(dst + at, src + qh_at(k) + 4 * r, 4); at += 4; }
        for (int c = 0; c < k->value_bytes / 4; c++) memcpy(dst + at + 4 * c, src + values_at(k) + 32 * c + 4 * r, 4);
    }
}

#if defined(__x86_64__)
#include "avx2.h"

// Byte t of each 32-bit lane: 0x10 where bit first + t of the lane's fifth-bit mask is set
// (bits first ..< first + 4 lie in one byte of it).
static inline AVX2 __m256i fifth_bits(__m256i qh, int first) {
    const int byte = first / 8, shift = first % 8;
    const __m256i pick = _mm256_set_epi32(0x01010101 * (12 + byte), 0x01010101 * (8 + byte), 0x01010101 * (4 + byte),
                                          0x01010101 * byte, 0x01010101 * (12 + byte), 0x01010101 * (8 + byte),
                                          0x01010101 * (4 + byte), 0x01010101 * byte);
    const __m256i bit = _mm256_set1_epi32(0x08040201 << shift);
    const __m256i spread = _mm256_and_si256(_mm256_shuffle_epi8(qh, pick), bit);
    return _mm256_and_si256(_mm256_cmpeq_epi8(spread, bit), _mm256_set1_epi8(0x10));
}

// The 8 rows of one group against `nact` ≤ 4 activation rows (constants after inlining):
// y[t·ldy + r]. `ad`/`asum`: activation row t's block b's d and its integer sum (Q8_0) or s
// (Q8_1), at [t·blocks + b].
INLINE void group_b32(const b32_kind *k, int blocks, const uint8_t *w, const uint8_t *a, size_t as, const float *ad,
                      const float *asum, float *y, size_t ldy, const int nact) {
    const __m256i m4 = _mm256_set1_epi8(0xF), ones16 = _mm256_set1_epi16(1);
    const int x8 = 8 * k->block_bytes, act_bytes = k->has_min ? sizeof(block_q8_1) : sizeof(block_q8_0);
    const int act_values = k->has_min ? 4 : 2;   // where an activation block's 32 int8 start
    __m256 acc[4], acc_min[4];
    for (int t = 0; t < nact; t++) acc[t] = acc_min[t] = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++, w += x8) {
        const uint8_t *values = w + values_at(k);
        __m256i sum[4];
        if (k->value_bytes == 32) {   // Q8_0
            for (int t = 0; t < nact; t++) sum[t] = _mm256_setzero_si256();
            for (int c = 0; c < 8; c++) {
                const __m256i v = load32(values + 32 * c), magnitude = _mm256_sign_epi8(v, v);
                for (int t = 0; t < nact; t++) {
                    int32_t x; memcpy(&x, a + (size_t)t * as + (size_t)b * act_bytes + act_values + 4 * c, 4);
                    const __m256i p = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(_mm256_set1_epi32(x), v));
                    sum[t] = _mm256_add_epi32(sum[t], _mm256_madd_epi16(p, ones16));
                }
            }
        } else {
            // Lane r: two int16 partial sums of row r per half; 4 products of ≤ 31 · 128 · 2 fit.
            __m256i lo16[4], hi16[4];
            for (int t = 0; t < nact; t++) lo16[t] = hi16[t] = _mm256_setzero_si256();
            const __m256i qh = k->has_qh ? load32(w + qh_at(k)) : _mm256_setzero_si256();
            for (int c = 0; c < 4; c++) {
                const __m256i bits = load32(values + 32 * c);
                __m256i lo = _mm256_and_si256(bits, m4), hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
                if (k->has_qh) {
                    lo = _mm256_or_si256(lo, fifth_bits(qh, 4 * c));
                    hi = _mm256_or_si256(hi, fifth_bits(qh, 16 + 4 * c));
                }
                for (int t = 0; t < nact; t++) {
                    const uint8_t *q8 = a + (size_t)t * as + (size_t)b * act_bytes + act_values + 4 * c;
                    int32_t x_lo, x_hi;
                    memcpy(&x_lo, q8, 4);
                    memcpy(&x_hi, q8 + 16, 4);
                    lo16[t] = _mm256_add_epi16(lo16[t], _mm256_maddubs_epi16(lo, _mm256_set1_epi32(x_lo)));
                    hi16[t] = _mm256_add_epi16(hi16[t], _mm256_maddubs_epi16(hi, _mm256_set1_epi32(x_hi)));
                }
            }
            for (int t = 0; t < nact; t++)
                sum[t] = _mm256_add_epi32(_mm256_madd_epi16(lo16[t], ones16), _mm256_madd_epi16(hi16[t], ones16));
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w));
        const __m256 m = k->has_min ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + m_at(k)))) : d;
        for (int t = 0; t < nact; t++) {
            const size_t at = (size_t)t * blocks + b;
            __m256i s = sum[t];
            if (k->offset) s = _mm256_sub_epi32(s, _mm256_set1_epi32(k->offset * (int)asum[at]));
            acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(ad[at])), _mm256_cvtepi32_ps(s), acc[t]);
            if (k->has_min) acc_min[t] = _mm256_fmadd_ps(m, _mm256_set1_ps(asum[at]), acc_min[t]);
        }
    }
    for (int t = 0; t < nact; t++)
        _mm256_storeu_ps(y + (size_t)t * ldy, k->has_min ? _mm256_add_ps(acc[t], acc_min[t]) : acc[t]);
}

// One copy per type, so the type's branches fold away.
#define GROUP_KERNEL(name, index) \
    static AVX2 void group_##name(int blocks, const uint8_t *w, const uint8_t *a, size_t as, const float *ad, \
                                  const float *asum, float *y, size_t ldy, int nact) { \
        const b32_kind *k = &b32_kinds[index]; \
        switch (nact) { \
        case 1: group_b32(k, blocks, w, a, as, ad, asum, y, ldy, 1); break; \
        case 2: group_b32(k, blocks, w, a, as, ad, asum, y, ldy, 2); break; \
        case 3: group_b32(k, blocks, w, a, as, ad, asum, y, ldy, 3); break; \
        default: group_b32(k, blocks, w, a, as, ad, asum, y, ldy, 4); break; \
        } \
    }
GROUP_KERNEL(q4_0, 0)
GROUP_KERNEL(q4_1, 1)
GROUP_KERNEL(q5_0, 2)
GROUP_KERNEL(q5_1, 3)
GROUP_KERNEL(q8_0, 4)

typedef void (*group_kernel)(int, const uint8_t *, const uint8_t *, size_t, const float *, const float *, float *, size_t, int);

int x8_b32_gemv_avx2(uint32_t type, int n, const void *packed, int group0, int group1, const void *a, size_t as,
                     int nact, float *y, int ldy) {
    static const group_kernel kernels[] = {group_q4_0, group_q4_1, group_q5_0, group_q5_1, group_q8_0};
    const b32_kind *k = b32_kind_of(type);
    const int blocks = n / QK;
    // Each activation block's d, and its integer sum (Q8_0) or its s (Q8_1), once for all groups.
    float *scales = malloc(sizeof(float) * 2 * (size_t)blocks * (size_t)nact);
    if (!scales) return 0;
    float *ad = scales, *asum = scales + (size_t)blocks * nact;
    for (int t = 0; t < nact; t++) {
        for (int b = 0; b < blocks; b++) {
            const uint8_t *x = (const uint8_t *)a + (size_t)t * as;
            if (k->has_min) {
                const block_q8_1 *q = (const block_q8_1 *)x + b;
                ad[t * blocks + b] = fp16_to_f32(q->d);
                asum[t * blocks + b] = fp16_to_f32(q->s);
            } else {
                const block_q8_0 *q = (const block_q8_0 *)x + b;
                int s = 0;
                for (int i = 0; i < QK; i++) s += q->qs[i];
                ad[t * blocks + b] = fp16_to_f32(q->d);
                asum[t * blocks + b] = (float)s;   // |s| ≤ 32 · 128: exact
            }
        }
    }
    const group_kernel kernel = kernels[k - b32_kinds];
    const size_t x8 = (size_t)blocks * 8 * (size_t)k->block_bytes;
    for (int g = group0; g < group1; g++) {
        // activation rows 4 at a time; the group's weights stay in cache between the passes
        for (int j0 = 0; j0 < nact; j0 += 4) {
            kernel(blocks, (const uint8_t *)packed + (size_t)g * x8, (const uint8_t *)a + (size_t)j0 * as, as,
                   ad + (size_t)j0 * blocks, asum + (size_t)j0 * blocks, y + (size_t)j0 * ldy + 8 * g, (size_t)ldy,
                   nact - j0 < 4 ? nact - j0 : 4);
        }
    }
    free(scales);
    return 1;
}
#endif
