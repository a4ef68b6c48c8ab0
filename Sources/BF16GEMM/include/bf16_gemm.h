// Matrix products with bfloat16 weights on AVX-512 BF16 (vdpbf16ps), fp32 accumulation.
//
// Debian's OpenBLAS has no bf16 GEMM. A frozen weight stored as bf16 halves the bytes every
// product streams and lets each instruction multiply-add pairs of bf16 values, twice the fp32
// FMA rate. The caller rounds the fp32 activations to bf16 (nearest even); the sums stay fp32.
#ifndef LORASB_BF16_GEMM_H
#define LORASB_BF16_GEMM_H

#include <stddef.h>
#include <stdint.h>

/// 1 when the CPU executes AVX-512 BF16 (and the kernels below may be called), else 0.
int lorasb_bf16_supported(void);

/// dst[i] = bf16(src[i]), rounded to nearest even (NaN stays NaN).
void lorasb_bf16_from_f32(const float *src, uint16_t *dst, size_t count);

/// dst[j·ldd + i] = bf16(src[i·lds + j]) for i < rows, j < cols: the transpose, rounded as above.
void lorasb_bf16_transpose_from_f32(const float *src, int rows, int cols, int lds, uint16_t *dst, int ldd);

/// dst[i] = float(src[i]) (exact).
void lorasb_f32_from_bf16(const uint16_t *src, float *dst, size_t count);

/// Columns [n0, n1) of C[m×n] = beta·C + A[m×k] · op(B), all row-major.
///   A: bf16, row stride lda even and A 4-byte aligned (pairs along k are read as 32-bit words);
///      when k is odd the element after each row's last must be zero.
///   B: bf16. transpose_b = 1: B is stored [n×k] (row stride ldb) and op(B) = Bᵀ, a linear
///      layer's forward x·Wᵀ; transpose_b = 0: B is stored [k×n], its input gradient dy·W.
///   beta = 0 never reads C (stale NaNs cannot leak).
/// Callers split [0, n) between threads; each thread packs into its own buffers.
void lorasb_bf16_gemm(int transpose_b, int m, int n, int k,
                      const uint16_t *a, int lda, const uint16_t *b, int ldb,
                      float beta, float *c, int ldc, int n0, int n1);

#endif
