import BF16GEMM
import Dispatch
import Foundation

extension Gemm {
    /// Whether this CPU runs the bf16 products (AVX-512 BF16).
    public static let bf16Supported: Bool = lorasb_bf16_supported() != 0

    /// `c[m×n] = beta·c + a[m×k] · op(b)` with a bf16 `b`: `transposeB` for a linear layer's
    /// forward `x·Wᵀ` (`b` is `[n, k]`), otherwise its input gradient `dy·W` (`b` is `[k, n]`).
    /// `a` is rounded to bf16 first; sums are fp32. Columns are split over the cores.
    public static func bf16Product(transposeB: Bool, m: Int, n: Int, k: Int,
                                   a: UnsafePointer<Float>, lda: Int, b: BF16Matrix,
                                   beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(transposeB ? (b.rows == n && b.columns == k) : (b.rows == k && b.columns == n),
                     "bf16 product: weight \(b.rows)×\(b.columns) for \(m)×\(k) · \(transposeB ? "\(n)×\(k)ᵀ" : "\(k)×\(n)")")
        if m == 0 || n == 0 { return }
        // The kernel reads pairs of bf16 along k as 32-bit words: rows of even length, the
        // padding zero.
        let stride = (k + 1) & ~1
        ScratchBuffers.bf16Activations.withBuffer(count: m * stride) { packedA in
            bf16Product(transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, packedA: packedA, stride: stride,
                        b: b, beta: beta, c: c, ldc: ldc)
        }
    }

    private static func bf16Product(transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                    packedA: UnsafeMutablePointer<UInt16>, stride: Int, b: BF16Matrix,
                                    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        Parallel.forEachRow(m, rowCost: k) { row in
            lorasb_bf16_from_f32(a + row * lda, packedA + row * stride, k)
            if stride != k { packedA[row * stride + k] = 0 }
        }
        bf16Kernel(transposeB: transposeB, m: m, n: n, k: k, packedA: packedA, stride: stride,
                   b: UnsafePointer(b.storage), ldb: b.columns, beta: beta, c: c, ldc: ldc)
    }

    /// `c[m×n] = beta·c + aᵀ · b` for fp32 `a` `[k, m]` and `b` `[k, n]`, both rounded to bf16,
    /// sums in fp32: a layer's weight gradient `dyᵀ x` over `k` rows when the weight itself is
    /// fixed and only an estimate of its gradient is wanted (the LoRA-SB initialisation).
    public static func bf16TransposedProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                             b: UnsafePointer<Float>, ldb: Int,
                                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        let stride = (k + 1) & ~1
        ScratchBuffers.bf16Activations.withBuffer(count: m * stride) { packedA in
            ScratchBuffers.bf16SecondOperand.withBuffer(count: k * n) { packedB in
                // aᵀ, row-major with even rows (zero padding), as the kernel reads its A.
                Parallel.forEachRowRange(m, rowCost: k) { columns in
                    lorasb_bf16_transpose_from_f32(a + columns.lowerBound, Int32(k), Int32(columns.count), Int32(lda),
                                                   packedA + columns.lowerBound * stride, Int32(stride))
                    if stride != k { for j in columns { packedA[j * stride + k] = 0 } }
                }
                Parallel.forEachRow(k, rowCost: n) { row in
                    lorasb_bf16_from_f32(b + row * ldb, packedB + row * n, n)
                }
                bf16Kernel(transposeB: false, m: m, n: n, k: k, packedA: packedA, stride: stride,
                           b: UnsafePointer(packedB), ldb: n, beta: beta, c: c, ldc: ldc)
            }
        }
    }

    /// The kernel over bf16 operands, columns split in whole 32-column panels, one part per core.
    static func bf16Kernel(transposeB: Bool, m: Int, n: Int, k: Int,
                                   packedA: UnsafeMutablePointer<UInt16>, stride: Int,
                                   b: UnsafePointer<UInt16>, ldb: Int,
                                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let panels = (n + 31) / 32
        let parts = max(1, min(Parallel.cores, panels))
        let perPart = (panels + parts - 1) / parts * 32
        let trans: Int32 = transposeB ? 1 : 0
        let run = { (part: Int) in
            let lo = part * perPart, hi = min(n, lo + perPart)
            if lo < hi {
                lorasb_bf16_gemm(trans, Int32(m), Int32(n), Int32(k), packedA, Int32(stride), b, Int32(ldb),
                                 beta, c, Int32(ldc), Int32(lo), Int32(hi))
            }
        }
        if parts == 1 { run(0); return }
        let box = UncheckedBox(run)
        DispatchQueue.concurrentPerform(iterations: parts) { box.value($0) }
    }
}
