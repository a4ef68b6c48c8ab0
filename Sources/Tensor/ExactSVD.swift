import CBLAS

/// Singular value decompositions of matrices (tensors seen as `rows` × `columns`).
public enum SVD {
    /// The exact thin SVD `A = U · diag(S) · Vᵀ` through LAPACK's divide-and-conquer `sgesdd`
    /// (falling back to the QR-iteration `sgesvd` if it fails to converge).
    ///
    /// Layout: our row-major m×n matrix is, read column-major, the n×m matrix Aᵀ. LAPACK is
    /// therefore handed Aᵀ = V · diag(S) · Uᵀ directly, without transposing anything; its
    /// column-major left factor V (n×k) is, read row-major, exactly our Vᵀ (k×n), and its
    /// column-major right factor Uᵀ (k×m) is, read row-major, exactly our U (m×k).
    ///
    /// - Throws: `SVDError` for non-finite input, sizes beyond LAPACK's integers, or a LAPACK
    ///   failure.
    public static func exact(_ a: Tensor) throws -> SingularValueDecomposition {
        let m = a.rows, n = a.columns, k = min(m, n)
        let shape = [m, n]
        guard m <= Int(Int32.max), n <= Int(Int32.max),
              !m.multipliedReportingOverflow(by: n).overflow else {
            throw SVDError.tooLarge(shape: shape)
        }
        guard Reductions.isFinite(a) else { throw SVDError.nonFiniteInput(shape: shape) }
        let u = Tensor(zeros: [m, k])
        let vt = Tensor(zeros: [k, n])
        var s = [Float](repeating: 0, count: k)
        if k == 0 {
            return SingularValueDecomposition(u: u, singularValues: s, vt: vt)
        }
        // LAPACK overwrites its input.
        let work = a.copy().reshaped([m, n])
        // Column-major view: M = n rows, N = m columns, leading dimension n.
        let lm = Int32(n), ln = Int32(m), lk = Int32(k)
        var info = s.withUnsafeMutableBufferPointer { sv in
            LAPACKE_sgesdd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "S")), lm, ln,
                           work.pointer, lm, sv.baseAddress, vt.pointer, lm, u.pointer, lk)
        }
        if info > 0 {
            // Divide and conquer did not converge; QR iteration is slower but more robust.
            work.copy(from: a.reshaped([m, n]))
            var superb = [Float](repeating: 0, count: max(1, k - 1))
            info = s.withUnsafeMutableBufferPointer { sv in
                superb.withUnsafeMutableBufferPointer { sb in
                    LAPACKE_sgesvd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "S")),
                                   CChar(UInt8(ascii: "S")), lm, ln, work.pointer, lm,
                                   sv.baseAddress, vt.pointer, lm, u.pointer, lk, sb.baseAddress)
                }
            }
            if info != 0 { throw SVDError.lapackFailure(routine: "sgesvd", info: Int(info)) }
        } else if info < 0 {
            throw SVDError.lapackFailure(routine: "sgesdd", info: Int(info))
        }
        return SingularValueDecomposition(u: u, singularValues: s, vt: vt)
    }
}
