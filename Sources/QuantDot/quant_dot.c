// The table of weight types → activation format and kernels, the run-time choice between the
// AVX2 and plain C kernels, and the multi-row product.
#include "quant_dot.h"
#include "dot_kernels.h"

#include <stddef.h>
#include <stdlib.h>

typedef struct {
    uint32_t type;      // ggml's id
    int format;         // the activation blocks it multiplies with
    row_dot reference;  // plain C
    row_dot simd;       // AVX2 + FMA + F16C (NULL off x86)
    rows_dot simd_rows; // the same against several activation rows at once
} dot_kind;

#if defined(__x86_64__)
#define KIND(id, fmt, name) { id, fmt, qdot_##name##_ref, qdot_##name##_avx2, qdot_##name##_avx2_rows }
#else
#define KIND(id, fmt, name) { id, fmt, qdot_##name##_ref, NULL, NULL }
#endif

static const dot_kind kinds[] = {
    KIND(2, LORASB_Q8_0, q4_0),
    KIND(3, LORASB_Q8_1, q4_1),
    KIND(6, LORASB_Q8_0, q5_0),
    KIND(7, LORASB_Q8_1, q5_1),
    KIND(8, LORASB_Q8_0, q8_0),
    KIND(12, LORASB_Q8_K, q4_K),
    KIND(13, LORASB_Q8_K, q5_K),
    KIND(14, LORASB_Q8_K, q6_K),
};

static const dot_kind *kind_of(uint32_t type) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].type == type) return &kinds[i];
    return NULL;
}

int lorasb_qdot_simd(void) {
#if defined(__x86_64__)
    static int cached = -1;   // benign race: every thread computes the same value
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return cached;
#else
    return 0;
#endif
}

static row_dot kernel_of(const dot_kind *k) { return lorasb_qdot_simd() && k->simd ? k->simd : k->reference; }

int lorasb_qdot_activation_format(uint32_t type) {
    const dot_kind *k = kind_of(type);
    return k ? k->format : LORASB_Q8_NONE;
}

float lorasb_qdot_row(uint32_t type, int n, const void *w, const void *a) {
    const dot_kind *k = kind_of(type);
    return k ? kernel_of(k)(n, w, a) : 0.0f;
}

float lorasb_qdot_row_reference(uint32_t type, int n, const void *w, const void *a) {
    const dot_kind *k = kind_of(type);
    return k ? k->reference(n, w, a) : 0.0f;
}

void qdot_gather_scales(int format, int n, const void *a, size_t as, int nact, float *ds) {
    memset(ds, 0, sizeof(float) * 2 * 8 * (size_t)(n / QK));
    if (format == LORASB_Q8_K) {
        const int blocks = n / QK_K;
        int16_t *pairs = (int16_t *)(ds + (size_t)blocks * 8);
        for (int j = 0; j < nact; j++) {
            const block_q8_K *x = (const block_q8_K *)((const uint8_t *)a + (size_t)j * as);
            for (int b = 0; b < blocks; b++) {
                ds[b * 8 + j] = x[b].d;
                for (int s = 0; s < 8; s++)
                    pairs[((b * 4 + s / 2) * 8 + j) * 2 + s % 2] = (int16_t)(x[b].bsums[2 * s] + x[b].bsums[2 * s + 1]);
            }
        }
        return;
    }
    const int blocks = n / QK;
    for (int j = 0; j < nact; j++) {
        const uint8_t *row = (const uint8_t *)a + (size_t)j * as;
        for (int b = 0; b < blocks; b++) {
            if (format == LORASB_Q8_1) {
                const block_q8_1 *x = (const block_q8_1 *)row + b;
                ds[b * 8 + j] = fp16_to_f32(x->d);
                ds[(blocks + b) * 8 + j] = fp16_to_f32(x->s);
            } else {
                ds[b * 8 + j] = fp16_to_f32(((const block_q8_0 *)row + b)->d);
            }
        }
    }
}

void lorasb_qdot_gemv(uint32_t type, int n, const void *w, size_t w_row_bytes, const int64_t *order,
                      int row0, int row1, const void *a, int nact, float *y, int ldy) {
    const dot_kind *k = kind_of(type);
    if (!k) return;
    const size_t a_row_bytes = lorasb_q8_row_bytes(k->format, n);
    if (!(lorasb_qdot_simd() && k->simd_rows)) {
        for (int r = row0; r < row1; r++) {
            const uint8_t *row = (const uint8_t *)w + (size_t)(order ? order[r] : r) * w_row_bytes;
            for (int j = 0; j < nact; j++)
                y[(size_t)j * ldy + r] = k->reference(n, row, (const uint8_t *)a + (size_t)j * a_row_bytes);
        }
        return;
    }
    // Up to 8 activation rows at a time, each weight block unpacked once for all of them.
    const size_t scale_count = 2 * 8 * (size_t)(n / QK);
    float stack[2 * 8 * 320], *ds = scale_count <= sizeof stack / sizeof stack[0] ? stack : malloc(sizeof(float) * scale_count);
    for (int j0 = 0; j0 < nact; j0 += 8) {
        const int rows = nact - j0 < 8 ? nact - j0 : 8;
        const uint8_t *group = (const uint8_t *)a + (size_t)j0 * a_row_bytes;
        qdot_gather_scales(k->format, n, group, a_row_bytes, rows, ds);
        for (int r = row0; r < row1; r++) {
            const uint8_t *row = (const uint8_t *)w + (size_t)(order ? order[r] : r) * w_row_bytes;
            k->simd_rows(n, row, group, a_row_bytes, ds, rows, y + (size_t)j0 * ldy + r, (size_t)ldy);
        }
    }
    if (ds != stack) free(ds);
}
