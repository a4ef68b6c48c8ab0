// The row dot products of each weight type: plain C (dot_reference.c) and AVX2 (dot_avx2.c),
// whose `_rows` form takes one weight row against `nact` ≤ 8 activation rows `as` bytes apart,
// with their blocks' scales gathered by qdot_gather_scales, and writes y[j·ys] for each.
#ifndef LORASB_QUANT_DOT_KERNELS_H
#define LORASB_QUANT_DOT_KERNELS_H

#include "blocks.h"

#define DECLARE_DOT(name) \
    float qdot_##name##_ref(int n, const void *w, const void *a); \
    float qdot_##name##_avx2(int n, const void *w, const void *a); \
    void qdot_##name##_avx2_rows(int n, const void *w, const void *a, size_t as, const float *ds, int nact, \
                                 float *y, size_t ys);

#include "quant_dot.h"

/// Activation rows' block scales as fp32, 8 rows per block (lanes past nact are 0), in 2·8·(n/32)
/// floats: ds[b·8 + j] = d of row j's block b; for Q8_1, ds[(blocks + b)·8 + j] its s; for Q8_K,
/// after the d, int16 pairs[((b·4 + t)·8 + j)·2 + u] = bsums[4t + 2u] + bsums[4t + 2u + 1] of
/// row j's block b (its sums over sub-block 2t + u of 32, which the Q4_K / Q5_K mins multiply).
void qdot_gather_scales(int format, int n, const void *a, size_t as, int nact, float *ds);

DECLARE_DOT(q4_0)
DECLARE_DOT(q4_1)
DECLARE_DOT(q5_0)
DECLARE_DOT(q5_1)
DECLARE_DOT(q8_0)
DECLARE_DOT(q4_K)
DECLARE_DOT(q5_K)
DECLARE_DOT(q6_K)

// Rows interleaved by 8 (lorasb_x8_*): Q4_K (q4_K_x8.c) and the 32-value types (x8_b32.c).
void x8_q4_K_pack(const void *w, size_t row_bytes, const int64_t *order, int n, int group0, int group1, void *out);
void x8_q4_K_unpack_row(const void *packed, int n, int row, void *out);
/// The AVX2 products (x86-64 only): y[j·ldy + r] for the rows of groups [group0, group1).
void x8_q4_K_gemv_avx2(int n, const void *packed, int group0, int group1, const void *a, size_t as, int nact,
                       float *y, int ldy);
int x8_b32_supports(uint32_t type);
/// Bytes of one row of n values of a 32-value type.
size_t x8_b32_row_bytes(uint32_t type, int n);
void x8_b32_pack(uint32_t type, const void *w, size_t row_bytes, const int64_t *order, int n, int group0, int group1,
                 void *out);
void x8_b32_unpack_row(uint32_t type, const void *packed, int n, int row, void *out);
/// 0 when it could not run (no memory for the activations' scales): the caller falls back.
int x8_b32_gemv_avx2(uint32_t type, int n, const void *packed, int group0, int group1, const void *a, size_t as,
                     int nact, float *y, int ldy);

#endif
