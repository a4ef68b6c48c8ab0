// ggml's block layouts (ggml-common.h), the fp16 conversions and the kernel signature shared
// by the C files of this target.
#ifndef LORASB_QUANT_BLOCKS_H
#define LORASB_QUANT_BLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define QK 32     // values per block of the 32-value types
#define QK_K 256  // values per super-block of the k-quants

typedef struct { uint16_t d; uint8_t qs[QK / 2]; } block_q4_0;
typedef struct { uint16_t d, m; uint8_t qs[QK / 2]; } block_q4_1;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_0;
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_1;
typedef struct { uint16_t d; int8_t qs[QK]; } block_q8_0;
typedef struct { uint16_t d, s; int8_t qs[QK]; } block_q8_1;
// k-quants: 8 sub-blocks of 32 with 6-bit scales and mins packed in 12 bytes
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2]; } block_q4_K;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; } block_q5_K;
// 16 sub-blocks of 16 with int8 scales; 4 low bits in ql, 2 high bits in qh
typedef struct { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint16_t d; } block_q6_K;
typedef struct { float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16]; } block_q8_K;
// The same super-block of 8 Q4_K rows interleaved (q4_K_x8.c), as many bytes as the 8 blocks.
typedef struct {
    uint16_t d[8], dmin[8];   // row r's d and dmin
    uint8_t scales[96];       // sub-block s at 12·s: the 8 rows' scale and min, packed as Q4_K packs a row's 8 sub-blocks
    uint8_t qs[1024];         // nibble byte o of row r at (o / 4)·32 + 4r + o % 4
} block_q4_Kx8;

_Static_assert(sizeof(block_q4_0) == 18 && sizeof(block_q4_1) == 20 && sizeof(block_q5_0) == 22 &&
               sizeof(block_q5_1) == 24 && sizeof(block_q8_0) == 34 && sizeof(block_q8_1) == 36 &&
               sizeof(block_q4_K) == 144 && sizeof(block_q5_K) == 176 && sizeof(block_q6_K) == 210 &&
               sizeof(block_q8_K) == 292 && sizeof(block_q4_Kx8) == 8 * sizeof(block_q4_K), "ggml block sizes");

static inline uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float f32_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

// ggml_compute_fp16_to_fp32: exact, denormals included.
static inline float fp16_to_f32(uint16_t h) {
    const uint32_t w = (uint32_t)h << 16, sign = w & 0x80000000u, two_w = w + w;
    const float normalized = f32_from_bits((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
    const float denormalized = f32_from_bits((two_w >> 17) | (126u << 23)) - 0.5f;
    return f32_from_bits(sign | (two_w < (1u << 27) ? f32_bits(denormalized) : f32_bits(normalized)));
}

// ggml_compute_fp32_to_fp16: round to nearest even (what F16C's vcvtps2ph does too).
static inline uint16_t f32_to_fp16(float f) {
    float base = (__builtin_fabsf(f) * 0x1.0p+112f) * 0x1.0p-110f;
    const uint32_t w = f32_bits(f), shl1_w = w + w, sign = w & 0x80000000u;
    uint32_t bias = shl1_w & 0xFF000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = f32_from_bits((bias >> 1) + 0x07800000u) + base;
    const uint32_t bits = f32_bits(base);
    const uint32_t nonsign = ((bits >> 13) & 0x7C00u) + (bits & 0x0FFFu);
    return (uint16_t)((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

// The 6-bit scales and mins of a Q4_K / Q5_K super-block: scales[0..7] then mins[0..7]
// (ggml's utmp shuffle with kmask1..3).
static inline void k4_scales_mins(const uint8_t packed[12], uint8_t out[16]) {
    uint32_t u[4];
    memcpy(u, packed, 12);
    u[3] = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
    const uint32_t mins_low = u[1] & 0x3f3f3f3fu;
    u[1] = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
    u[2] = mins_low;
    u[0] &= 0x3f3f3f3fu;
    memcpy(out, u, 16);
}

// The inverse of k4_scales_mins: 8 scales and 8 mins of 6 bits packed into 12 bytes (ggml's
// get_scale_min_k4 reads value j: j < 4 from the low 6 bits of bytes j and j + 4; j ≥ 4 from
// the nibbles of byte j + 4 and the top 2 bits of bytes j − 4 and j).
static inline void k4_pack_scales_mins(const uint8_t sc[8], const uint8_t mn[8], uint8_t out[12]) {
    for (int j = 0; j < 4; j++) {
        out[j] = (uint8_t)((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        out[j + 4] = (uint8_t)((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
        out[j + 8] = (uint8_t)((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
    }
}

/// A row dot product: n values of weight blocks `w` against activation blocks `a`.
typedef float (*row_dot)(int n, const void *w, const void *a);

/// The same against `nact` ≤ 8 activation rows lying `as` bytes apart, with their blocks'
/// scales `ds` (qdot_gather_scales): y[j·ys] = dot with row j.
typedef void (*rows_dot)(int n, const void *w, const void *a, size_t as, const float *ds, int nact, float *y, size_t ys);

#endif
