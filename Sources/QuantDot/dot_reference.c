// The plain C dot products, after ggml's generic ones (ggml-cpu/quants.c): integer sums per
// block, one float multiply-add per block. They run where AVX2 is missing, and the tests hold
// the SIMD kernels to them.
#include "dot_kernels.h"

float qdot_q4_0_ref(int n, const void *vw, const void *va) {
    const block_q4_0 *w = vw; const block_q8_0 *a = va;
    float sum = 0;
    for (int b = 0; b < n / QK; b++) {
        int s = 0;
        for (int j = 0; j < QK / 2; j++)
            s += ((w[b].qs[j] & 0xF) - 8) * a[b].qs[j] + ((w[b].qs[j] >> 4) - 8) * a[b].qs[j + QK / 2];
        sum += (float)s * fp16_to_f32(w[b].d) * fp16_to_f32(a[b].d);
    }
    return sum;
}

// Q4_1 values are d·q + m: the m part is m · Σ(activation) = m · s of the Q8_1 block.
float qdot_q4_1_ref(int n, const void *vw, const void *va) {
    const block_q4_1 *w = vw; const block_q8_1 *a = va;
    float sum = 0;
    for (int b = 0; b < n / QK; b++) {
        int s = 0;
        for (int j = 0; j < QK / 2; j++)
            s += (w[b].qs[j] & 0xF) * a[b].qs[j] + (w[b].qs[j] >> 4) * a[b].qs[j + QK / 2];
        sum += fp16_to_f32(w[b].d) * fp16_to_f32(a[b].d) * (float)s + fp16_to_f32(w[b].m) * fp16_to_f32(a[b].s);
    }
    return sum;
}

// Bit j of qh is the fifth bit of value j (the low nibbles' values are 0..15, the high 16..31).
float qdot_q5_0_ref(int n, const void *vw, const void *va) {
    const block_q5_0 *w = vw; const block_q8_0 *a = va;
    float sum = 0;
    for (int b = 0; b < n / QK; b++) {
        uint32_t qh; memcpy(&qh, w[b].qh, 4);
        int s = 0;
        for (int j = 0; j < QK / 2; j++) {
            const int lo = ((w[b].qs[j] & 0xF) | (((qh >> j) & 1) << 4)) - 16;
            const int hi = ((w[b].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
            s += lo * a[b].qs[j] + hi * a[b].qs[j + QK / 2];
        }
        sum += fp16_to_f32(w[b].d) * fp16_to_f32(a[b].d) * (float)s;
    }
    return sum;
}

float qdot_q5_1_ref(int n, const void *vw, const void *va) {
    const block_q5_1 *w = vw; const block_q8_1 *a = va;
    float sum = 0;
    for (int b = 0; b < n / QK; b++) {
        uint32_t qh; memcpy(&qh, w[b].qh, 4);
        int s = 0;
        for (int j = 0; j < QK / 2; j++) {
            const int lo = (w[b].qs[j] & 0xF) | (((qh >> j) & 1) << 4);
            const int hi = (w[b].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
            s += lo * a[b].qs[j] + hi * a[b].qs[j + QK / 2];
        }
        sum += fp16_to_f32(w[b].d) * fp16_to_f32(a[b].d) * (float)s + fp16_to_f32(w[b].m) * fp16_to_f32(a[b].s);
    }
    return sum;
}

float qdot_q8_0_ref(int n, const void *vw, const void *va) {
    const block_q8_0 *w = vw; const block_q8_0 *a = va;
    float sum = 0;
    for (int b = 0; b < n / QK; b++) {
        int s = 0;
        for (int j = 0; j < QK; j++) s += w[b].qs[j] * a[b].qs[j];
        sum += (float)s * (fp16_to_f32(w[b].d) * fp16_to_f32(a[b].d));
    }
    return sum;
}

// A Q4_K / Q5_K value is d·scale_s·q − dmin·min_s for its sub-block s of 32. Nibbles come in
// runs of 32 bytes: low nibbles are sub-block 2i, high ones 2i + 1. The minimums multiply the
// activation's sums (bsums, two per sub-block).
static float k4_dot(const block_q8_K *a, float d, float dmin, const uint8_t packed_scales[12],
                    const uint8_t *qs, const uint8_t *qh) {
    uint8_t sm[16];
    k4_scales_mins(packed_scales, sm);
    int sum_mins = 0;
    for (int g = 0; g < QK_K / 16; g++) sum_mins += a->bsums[g] * sm[8 + g / 2];
    int sum = 0;
    for (int s = 0; s < 8; s++) {
        const uint8_t *q = qs + (s / 2) * 32;
        int part = 0;
        for (int l = 0; l < 32; l++) {
            int v = s % 2 ? q[l] >> 4 : q[l] & 0xF;
            if (qh) v += ((qh[l] >> s) & 1) << 4;
            part += v * a->qs[s * 32 + l];
        }
        sum += sm[s] * part;
    }
    return d * a->d * (float)sum - dmin * a->d * (float)sum_mins;
}

float qdot_q4_K_ref(int n, const void *vw, const void *va) {
    const block_q4_K *w = vw; const block_q8_K *a = va;
    float sum = 0;
    for (int b = 0; b < n / QK_K; b++)
        sum += k4_dot(&a[b], fp16_to_f32(w[b].d), fp16_to_f32(w[b].dmin), w[b].scales, w[b].qs, NULL);
    return sum;
}

float qdot_q5_K_ref(int n, const void *vw, const void *va) {
    const block_q5_K *w = vw; const block_q8_K *a = va;
    float sum = 0;
    for (int b = 0; b < n / QK_K; b++)
        sum += k4_dot(&a[b], fp16_to_f32(w[b].d), fp16_to_f32(w[b].dmin), w[b].scales, w[b].qs, w[b].qh);
    return sum;
}

// Q6_K: in each half of 128 values, value l + 32·k takes the low or high nibble of
// ql[l + 32·(k % 2)] and bits 2k, 2k+1 of qh[l]; minus 32, times the int8 scale of its 16.
float qdot_q6_K_ref(int n, const void *vw, const void *va) {
    const block_q6_K *w = vw; const block_q8_K *a = va;
    float sum = 0;
    for (int b = 0; b < n / QK_K; b++) {
        int total = 0;
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = w[b].ql + half * 64, *qh = w[b].qh + half * 32;
            for (int k = 0; k < 4; k++) {
                for (int g = 0; g < 2; g++) {   // two groups of 16 with their own scale
                    int part = 0;
                    for (int l = g * 16; l < g * 16 + 16; l++) {
                        const int low = k < 2 ? ql[l + 32 * k] & 0xF : ql[l + 32 * (k - 2)] >> 4;
                        const int v = (low | (((qh[l] >> (2 * k)) & 3) << 4)) - 32;
                        part += v * a[b].qs[half * 128 + k * 32 + l];
                    }
                    total += w[b].scales[half * 8 + k * 2 + g] * part;
                }
            }
        }
        sum += fp16_to_f32(w[b].d) * a[b].d * (float)total;
    }
    return sum;
}
