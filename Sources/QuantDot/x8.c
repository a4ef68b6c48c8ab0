// The interleaved rows' entry points (quant_dot.h, lorasb_x8_*): Q4_K or a 32-value type. The
// AVX2 products live with their layouts (q4_K_x8.c, x8_b32.c); the plain C path, here, unpacks
// each row and takes the row kernel, for every type alike.
#include "dot_kernels.h"

#include <stdlib.h>

static const uint32_t q4_K = 12;

int lorasb_x8_supports(uint32_t type) { return type == q4_K || x8_b32_supports(type); }

void lorasb_x8_pack(uint32_t type, const void *w, size_t w_row_bytes, const int64_t *order, int n, int group0,
                    int group1, void *out) {
    if (type == q4_K) x8_q4_K_pack(w, w_row_bytes, order, n, group0, group1, out);
    else if (x8_b32_supports(type)) x8_b32_pack(type, w, w_row_bytes, order, n, group0, group1, out);
}

void lorasb_x8_unpack_row(uint32_t type, const void *packed, int n, int row, void *out) {
    if (type == q4_K) x8_q4_K_unpack_row(packed, n, row, out);
    else if (x8_b32_supports(type)) x8_b32_unpack_row(type, packed, n, row, out);
}

void lorasb_x8_gemv_reference(uint32_t type, int n, const void *packed, int group0, int group1, const void *a,
                              int nact, float *y, int ldy) {
    if (!lorasb_x8_supports(type)) return;
    const size_t as = lorasb_q8_row_bytes(lorasb_qdot_activation_format(type), n);
    uint8_t *row = malloc(type == q4_K ? sizeof(block_q4_K) * (size_t)(n / QK_K) : x8_b32_row_bytes(type, n));
    if (!row) return;
    for (int r = 8 * group0; r < 8 * group1; r++) {
        lorasb_x8_unpack_row(type, packed, n, r, row);
        for (int j = 0; j < nact; j++)
            y[(size_t)j * ldy + r] = lorasb_qdot_row_reference(type, n, row, (const uint8_t *)a + (size_t)j * as);
    }
    free(row);
}

void lorasb_x8_gemv(uint32_t type, int n, const void *packed, int group0, int group1, const void *a, int nact,
                    float *y, int ldy) {
#if defined(__x86_64__)
    if (lorasb_qdot_simd() && lorasb_x8_supports(type)) {
        const size_t as = lorasb_q8_row_bytes(lorasb_qdot_activation_format(type), n);
        if (type == q4_K) { x8_q4_K_gemv_avx2(n, packed, group0, group1, a, as, nact, y, ldy); return; }
        if (x8_b32_gemv_avx2(type, n, packed, group0, group1, a, as, nact, y, ldy)) return;
    }
#endif
    lorasb_x8_gemv_reference(type, n, packed, group0, group1, a, nact, y, ldy);
}
