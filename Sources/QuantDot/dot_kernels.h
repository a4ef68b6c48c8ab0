// The row dot products of each weight type: plain C (dot_reference.c) and AVX2 (dot_avx2.c),
// whose `_rows` form takes one weight row against `nact` activation rows `as` bytes apart and
// writes y[j·ys] for each.
#ifndef LORASB_QUANT_DOT_KERNELS_H
#define LORASB_QUANT_DOT_KERNELS_H

#include "blocks.h"

#define DECLARE_DOT(name) \
    float qdot_##name##_ref(int n, const void *w, const void *a); \
    float qdot_##name##_avx2(int n, const void *w, const void *a); \
    void qdot_##name##_avx2_rows(int n, const void *w, const void *a, size_t as, int nact, float *y, size_t ys);

DECLARE_DOT(q4_0)
DECLARE_DOT(q4_1)
DECLARE_DOT(q5_0)
DECLARE_DOT(q5_1)
DECLARE_DOT(q8_0)
DECLARE_DOT(q4_K)
DECLARE_DOT(q5_K)
DECLARE_DOT(q6_K)

#endif
