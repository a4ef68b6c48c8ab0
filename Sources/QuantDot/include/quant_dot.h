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

/// Rows interleaved by 8 (llama.cpp's repacking; q4_K_x8.c, x8_b32.c) for Q4_K and the 32-value
/// types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0): the same bytes as the rows, each block of 8 rows holding
/// their scales side by side and their values in 4-byte chunks, so that one load brings a chunk
/// of all 8 rows and their 8 dot products come out in one register. Group g is rows 8g ..< 8g + 8,
/// at out + g·8·(row bytes).
int lorasb_x8_supports(uint32_t type);

/// Writes groups [group0, group1) from the rows at w (row r at w + (order ? order[r] : r)·w_row_bytes).
void lorasb_x8_pack(uint32_t type, const void *w, size_t w_row_bytes, const int64_t *order, int n, int group0,
                    int group1, void *out);

/// Row `row` of interleaved rows back in ggml's layout, bit for bit.
void lorasb_x8_unpack_row(uint32_t type, const void *packed, int n, int row, void *out);

/// y[j·ldy + r] = dot(row r, activation row j) for the rows of groups [group0, group1), against
/// `nact` activation rows in the type's format (lorasb_q8_row_bytes apart).
void lorasb_x8_gemv(uint32_t type, int n, const void *packed, int group0, int group1, const void *a, int nact,
                    float *y, int ldy);

/// The same with every row unpacked and multiplied by the plain C kernel.
void lorasb_x8_gemv_reference(uint32_t type, int n, const void *packed, int group0, int group1, const void *a,
                              int nact, float *y, int ldy);

/// 1 when the SIMD kernels run on this CPU (AVX2, FMA and F16C), 0 when the plain C ones do.
int lorasb_qdot_simd(void);

#endif
