import CBLAS

/// Matrix products through OpenBLAS `cblas_sgemm`. Every tensor is seen as a row-major matrix
/// (`rows` × `columns`); `transposeA`/`transposeB` multiply by the transpose without copying.
public enum Gemm {
    /// `c = alpha · op(a) · op(b) + beta · c` on raw row-major matrices.
    /// `op(a)` is m×k, `op(b)` is k×n, `c` is m×n; `lda`/`ldb`/`ldc` are the row strides.
    @inlinable
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C untouched only when beta = 1; honour beta ourselves.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        if m == 1 {
            // One row (a decoding step): a matrix-vector product reads B once, where sgemm
            // would first pack (copy) all of B — most of the time of a batch-1 decode step.
            let incA = transposeA ? lda : 1
            // BLAS may scale (not overwrite) y by beta = 0: clear it so stale NaNs cannot leak.
            if beta == 0 { c.update(repeating: 0, count: n) }
            if transposeB {   // c = B·a, B n×k
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha,
                            b, Int32(ldb), a, Int32(incA), beta, c, 1)
            } else {          // c = Bᵀ·a, B k×n
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha,
                            b, Int32(ldb), a, Int32(incA), beta, c, 1)
            }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `c = alpha · op(a) · op(b) + beta · c` for tensors seen as matrices.
    public static func multiply(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, into c: Tensor
    ) {
        let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
        let (kb, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
        precondition(k == kb, "sgemm: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        precondition(c.rows == m && c.columns == n, "sgemm: output \(c.shape) is not \(m)×\(n)")
        sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
              a: a.pointer, lda: a.columns, b: b.pointer, ldb: b.columns,
              beta: beta, c: c.pointer, ldc: c.columns)
    }

    /// A new tensor `op(a) · op(b)`.
    public static func product(_ a: Tensor, _ b: Tensor, transposeA: Bool = false,
                               transposeB: Bool = false) -> Tensor {
        let m = transposeA ? a.columns : a.rows
        let n = transposeB ? b.rows : b.columns
        let c = Tensor(zeros: [m, n])
        multiply(a, b, transposeA: transposeA, transposeB: transposeB, into: c)
        return c
    }

    /// `batch` independent products at fixed strides (elements) between consecutive matrices,
    /// e.g. one per attention head. Each item is an ordinary sgemm: BLAS threads within it.
    public static func sgemmBatched(
        batch: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, strideA: Int,
        b: UnsafePointer<Float>, ldb: Int, strideB: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int
    ) {
        for i in 0..<batch {
            sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                  a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb,
                  beta: beta, c: c + i * strideC, ldc: ldc)
        }
    }

    /// OpenBLAS's description of itself (version, build options, the kernel core it selected),
    /// printed with benchmark results.
    public static var blasConfiguration: String {
        let config = openblas_get_config().map { String(cString: $0) } ?? "unknown"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return "\(config) (kernel core \(core))"
    }

    /// Threads OpenBLAS may use inside one sgemm. Set to 1 inside our own parallel regions.
    public static var blasThreads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}
