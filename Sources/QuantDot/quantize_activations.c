// fp32 activation rows → 8-bit blocks, bit for bit as ggml's reference quantisers
// (quantize_row_q8_0_ref, q8_1_ref, q8_K_ref in ggml-quants.c). Scalar: an activation row is
// a few thousand values against the million-value weight it multiplies.
#include "quant_dot.h"
#include "blocks.h"

#include <math.h>

// ggml's nearest_int: round to nearest even through the float's mantissa (|x| ≤ 2²²).
static int nearest_int(float x) {
    const float shifted = x + 12582912.f;
    return (int)(f32_bits(shifted) & 0x007fffff) - 0x00400000;
}

// One block of QK values: symmetric scale d = amax / 127 (returned), values rounded half away
// from zero (roundf) into qs.
static float quantize_block_q8(const float *x, int8_t *qs) {
    float amax = 0.0f;
    for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127, id = d ? 1.0f / d : 0.0f;
    for (int j = 0; j < QK; j++) qs[j] = (int8_t)roundf(x[j] * id);
    return d;
}

static void quantize_q8_0(const float *x, block_q8_0 *y, int n) {
    for (int b = 0; b < n / QK; b++, x += QK) y[b].d = f32_to_fp16(quantize_block_q8(x, y[b].qs));
}

// As Q8_0, plus s = d·Σq for the weight types with a minimum (Q4_1, Q5_1).
static void quantize_q8_1(const float *x, block_q8_1 *y, int n) {
    for (int b = 0; b < n / QK; b++, x += QK) {
        const float d = quantize_block_q8(x, y[b].qs);
        y[b].d = f32_to_fp16(d);
        int sum = 0;
        for (int j = 0; j < QK; j++) sum += y[b].qs[j];
        y[b].s = f32_to_fp16((float)sum * d);
    }
}

// Scale from the value of largest magnitude (its sign included: it maps to -127), fp32 d,
// and the sums of each 16 values, which the k-quant products use for the weights' minimums.
static void quantize_q8_K(const float *x, block_q8_K *y, int n) {
    for (int b = 0; b < n / QK_K; b++, x += QK_K) {
        float max = 0, amax = 0;
        for (int j = 0; j < QK_K; j++) {
            const float ax = fabsf(x[j]);
            if (ax > amax) { amax = ax; max = x[j]; }
        }
        if (!amax) {
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < QK_K; j++) {
            const int v = nearest_int(iscale * x[j]);
            y[b].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int g = 0; g < QK_K / 16; g++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += y[b].qs[g * 16 + j];
            y[b].bsums[g] = (int16_t)sum;
        }
        y[b].d = 1 / iscale;
    }
}

size_t lorasb_q8_row_bytes(int format, int n) {
    switch (format) {
    case LORASB_Q8_0: return (size_t)(n / QK) * sizeof(block_q8_0);
    case LORASB_Q8_1: return (size_t)(n / QK) * sizeof(block_q8_1);
    case LORASB_Q8_K: return (size_t)(n / QK_K) * sizeof(block_q8_K);
    default: return 0;
    }
}

void lorasb_q8_quantize_row(int format, const float *x, void *y, int n) {
    switch (format) {
    case LORASB_Q8_0: quantize_q8_0(x, y, n); break;
    case LORASB_Q8_1: quantize_q8_1(x, y, n); break;
    case LORASB_Q8_K: quantize_q8_K(x, y, n); break;
    default: break;
    }
}
