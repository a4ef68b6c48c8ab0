import CBLAS

extension SVD {
    /// A rank-`rank` truncated SVD by randomized range finding, following PyTorch's
    /// `torch.svd_lowrank(A, q=rank, niter=powerIterations)` (Halko, Martinsson & Tropp 2011,
    /// algorithm 5.1, as PyTorch arranges it):
    ///
    /// 1. An orthonormal basis Q (q columns) of the range of A or of Aᵀ is found from a Gaussian
    ///    test matrix drawn from `generator`, refined by `powerIterations` rounds of
    ///    multiplication by Aᵀ and A, re-orthonormalising (QR) after every product.
    ///    Like PyTorch, the basis is sought for Aᵀ (the row space) unless A is tall with
    ///    n ≤ q, which keeps the small matrix of step 2 at most q wide.
    /// 2. The exact SVD of the small projection (A·Q, m×q, or Qᵀ·A, q×n), mapped back through Q.
    ///
    /// Returns U_r (m×r), S_r, V_rᵀ (r×n). Every product goes through `Gemm`. The result is
    /// reproducible for a given generator state; its quality grows with `powerIterations`
    /// (the LoRA-SB authors use 10).
    ///
    /// - Throws: `SVDError` for a rank outside 1...min(m, n), a negative iteration count,
    ///   non-finite input, or a LAPACK failure.
    public static func randomized(_ a: Tensor, rank q: Int, powerIterations: Int = 2,
                                  generator: inout SeededGenerator) throws
        -> SingularValueDecomposition
    {
        let m = a.rows, n = a.columns
        let shape = [m, n]
        guard q >= 1, q <= min(m, n) else { throw SVDError.invalidRank(rank: q, shape: shape) }
        guard powerIterations >= 0 else { throw SVDError.invalidIterations(powerIterations) }
        guard m <= Int(Int32.max), n <= Int(Int32.max) else { throw SVDError.tooLarge(shape: shape) }
        guard Reductions.isFinite(a) else { throw SVDError.nonFiniteInput(shape: shape) }
        let matrix = a.reshaped(shape)

        if m < n || n > q {
            // Basis of the row space: Q (n×q) with Aᵀ ≈ Q·Qᵀ·Aᵀ, so A ≈ (A·Q)·Qᵀ.
            let basis = try approximateBasis(matrix, transposed: true, rank: q,
                                             powerIterations: powerIterations,
                                             generator: &generator)
            let projected = Gemm.product(matrix, basis)                          // A·Q, m×q
            let small = try exact(projected)                                     // U·S·Wᵀ
            let vt = Gemm.product(small.vt, basis, transposeB: true)             // Wᵀ·Qᵀ, q×n
            return SingularValueDecomposition(u: small.u, singularValues: small.singularValues,
                                              vt: vt)
        } else {
            // Basis of the column space: Q (m×q) with A ≈ Q·(Qᵀ·A).
            let basis = try approximateBasis(matrix, transposed: false, rank: q,
                                             powerIterations: powerIterations,
                                             generator: &generator)
            let projected = Gemm.product(basis, matrix, transposeA: true)        // Qᵀ·A, q×n
            let small = try exact(projected)                                     // W·S·Vᵀ
            let u = Gemm.product(basis, small.u)                                 // Q·W, m×q
            return SingularValueDecomposition(u: u, singularValues: small.singularValues,
                                              vt: small.vt)
        }
    }

    /// An orthonormal basis (p×q) approximating the range of op(A) (p×c), where op(A) is A or
    /// Aᵀ: PyTorch's `get_approximate_basis`.
    static func approximateBasis(_ a: Tensor, transposed: Bool, rank q: Int, powerIterations: Int,
                                 generator: inout SeededGenerator) throws -> Tensor {
        let (p, c) = transposed ? (a.columns, a.rows) : (a.rows, a.columns)
        let test = Tensor(zeros: [c, q])
        generator.fillNormal(test)
        let range = Tensor(zeros: [p, q])        // op(A)·Q
        let coRange = Tensor(zeros: [c, q])      // op(A)ᵀ·Q
        Gemm.multiply(a, test, transposeA: transposed, into: range)
        try orthonormalizeColumns(range)
        for _ in 0..<powerIterations {
            Gemm.multiply(a, range, transposeA: !transposed, into: coRange)
            try orthonormalizeColumns(coRange)
            Gemm.multiply(a, coRange, transposeA: transposed, into: range)
            try orthonormalizeColumns(range)
        }
        return range
    }

    /// Replaces the p×q matrix X (p ≥ q) by the Q factor of its thin QR decomposition, an
    /// orthonormal basis of its columns: LAPACK `sgeqrf` then `sorgqr`, in LAPACKE's row-major
    /// layout (the factor is small next to the products that make it).
    static func orthonormalizeColumns(_ x: Tensor) throws {
        let p = x.rows, q = x.columns
        precondition(p >= q, "orthonormalizeColumns needs at least as many rows as columns")
        guard p <= Int(Int32.max), q <= Int(Int32.max) else {
            throw SVDError.tooLarge(shape: [p, q])
        }
        var tau = [Float](repeating: 0, count: max(1, q))
        try tau.withUnsafeMutableBufferPointer { t in
            let factored = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, Int32(p), Int32(q), x.pointer,
                                          Int32(q), t.baseAddress)
            if factored != 0 { throw SVDError.lapackFailure(routine: "sgeqrf", info: Int(factored)) }
            let formed = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, Int32(p), Int32(q), Int32(q), x.pointer,
                                        Int32(q), t.baseAddress)
            if formed != 0 { throw SVDError.lapackFailure(routine: "sorgqr", info: Int(formed)) }
        }
    }
}
