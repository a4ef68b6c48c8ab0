// The interleaved rows' entry points (quant_dot.h, lorasb_x8_*): Q4_K or a 32-value type.
#include "dot_kernels.h"

static const int q4_K = 12;

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
    if (type == q4_K) x8_q4_K_gemv_reference(n, packed, group0, group1, a, nact, y, ldy);
    else if (x8_b32_supports(type))
        x8_b32_gemv_reference(type, n, packed, group0, group1, a,
                              lorasb_q8_row_bytes(lorasb_qdot_activation_format(type), n), nact, y, ldy);
}

void lorasb_x8_gemv(uint32_t type, int n, const void *packed, int group0, int group1, const void *a, int nact,
                    float *y, int ldy) {
    if (type == q4_K) { x8_q4_K_gemv(n, packed, group0, group1, a, nact, y, ldy); return; }
    if (!x8_b32_supports(type)) return;
#if defined(__x86_64__)
    const size_t as = lorasb_q8_row_bytes(lorasb_qdot_activation_format(type), n);
    if (lorasb_qdot_simd() && x8_b32_gemv_avx2(type, n, packed, group0, group1, a, as, nact, y, ldy)) return;
#endif
    lorasb_x8_gemv_reference(type, n, packed, group0, group1, a, nact, y, ldy);
}
