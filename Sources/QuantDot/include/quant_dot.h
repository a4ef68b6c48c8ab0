// Dot products that read ggml's quantised weight blocks directly, as llama.cpp's CPU backend
// does: the activation row is quantised once per product to 8-bit blocks (Q8_0, Q8_1 or Q8_K,
// whichever the weight type pairs with) and each weight row is multiplied block by block in
// integers, one float multiply-add per block. At batch 1 a product is bound by reading the
// weight, and this reads only its quantised bytes (no fp32 copy).
//
// Types are ggml's ids (GGML_TYPE_Q4_0 = 2, ...). Block layouts and algorithms follow ggml's
// reference quantisers (ggml-quants.c) and dot products (ggml-cpu/quants.c, and the AVX2 ones
// in ggml-cpu/arch/x86/quants.c). AVX2 + FMA + F16C kernels are chosen at run time when the
// CPU has them; plain C otherwise.
#ifndef LORASB_QUANT_DOT_H
#define LORASB_QUANT_DOT_H

#include <stddef.h>
#include <stdint.h>

/// The 8-bit activation block format a weight type's dot product reads.
enum lorasb_q8_format {
    LORASB_Q8_NONE = 0,   // the weight type has no dot product here
    LORASB_Q8_0 = 1,      // 32 values: fp16 scale d, 32 int8
    LORASB_Q8_1 = 2,      // 32 values: fp16 d, fp16 s = d·Σq, 32 int8
    LORASB_Q8_K = 3,      // 256 values: fp32 d, 256 int8, 16 int16 sums of 16
};

/// The activation format ggml type `type` multiplies with, or LORASB_Q8_NONE.
int lorasb_qdot_activation_format(uint32_t type);

/// Bytes of one activation row of `n` values in `format` (n a multiple of its block size).
size_t lorasb_q8_row_bytes(int format, int n);

/// Quantises `n` floats (a multiple of the block size) to `format`, bit for bit as ggml's
/// quantize_row_q8_0_ref / q8_1_ref / q8_K_ref.
void lorasb_q8_quantize_row(int format, const float *x, void *y, int n);

/// dot(weight row, activation row) over `n` values: the run-time chosen kernel.
float lorasb_qdot_row(uint32_t type, int n, const void *w, const void *a);

/// The same with the plain C kernel (the reference the SIMD ones are tested against).
float lorasb_qdot_row_reference(uint32_t type, int n, const void *w, const void *a);

/// y[j·ldy + r] = dot(weight row r, activation row j) for r in [row0, row1), j < nact.
/// Weight row r starts at w + (order ? order[r] : r)·w_row_bytes; activation row j at
/// a + j·lorasb_q8_row_bytes(format, n). Each weight block is read and unpacked once for all
/// nact activation rows (the SIMD kernels take up to 8 at a time; each row's result is its
/// one-row dot product up to the order of the float sums). Callers split [0, rows) between threads.
void lorasb_qdot_gemv(uint32_t type, int n, const void *w, size_t w_row_bytes, const int64_t *order,
                      int row0, int row1, const void *a, int nact, float *y, int ldy);

/// Q4_K rows interleaved by 8 (llama.cpp's repacking; q4_K_x8.c): the same bytes as the rows,
/// grouped so that one load brings 4 bytes of each of 8 rows and the 8 dot products come out in
/// one register. Group g is rows 8g ..< 8g + 8, its n/256 super-blocks at out + g·(n/256)·1152.
/// Writes groups [group0, group1) from the Q4_K rows at w (row r at w + (order ? order[r] : r)·w_row_bytes).
void lorasb_q4K_x8_pack(const void *w, size_t w_row_bytes, const int64_t *order, int n, int group0, int group1,
                        void *out);

/// Row `row` of interleaved Q4_K rows back in ggml's Q4_K layout (n/256 blocks of 144 bytes), bit for bit.
void lorasb_q4K_x8_unpack_row(const void *packed, int n, int row, void *out);

/// y[j·ldy + r] = dot(row r, activation row j) for the rows of groups [group0, group1) of
/// interleaved Q4_K rows, against `nact` Q8_K activation rows (lorasb_q8_row_bytes apart).
void lorasb_q4K_x8_gemv(int n, const void *packed, int group0, int group1, const void *a, int nact, float *y, int ldy);

/// The same with every row unpacked and multiplied by the plain C kernel.
void lorasb_q4K_x8_gemv_reference(int n, const void *packed, int group0, int group1, const void *a, int nact,
                                  float *y, int ldy);

/// 1 when the SIMD kernels run on this CPU (AVX2, FMA and F16C), 0 when the plain C ones do.
int lorasb_qdot_simd(void);

#endif
