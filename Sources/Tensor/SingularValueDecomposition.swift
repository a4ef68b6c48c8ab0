/// A thin singular value decomposition `A ≈ U · diag(S) · Vᵀ` of an m×n matrix.
///
/// `u` is m×k with orthonormal columns, `singularValues` holds k non-negative values in
/// descending order, `vt` is k×n with orthonormal rows. k is min(m, n) for `SVD.exact` and the
/// requested rank for `SVD.randomized`.
public struct SingularValueDecomposition: @unchecked Sendable {
    public let u: Tensor
    public let singularValues: [Float]
    public let vt: Tensor

    public init(u: Tensor, singularValues: [Float], vt: Tensor) {
        precondition(u.rank == 2 && vt.rank == 2, "SVD factors must be matrices")
        precondition(u.columns == singularValues.count && vt.rows == singularValues.count,
                     "SVD factors \(u.shape), \(singularValues.count), \(vt.shape) disagree")
        self.u = u
        self.singularValues = singularValues
        self.vt = vt
    }

    /// The number of singular triplets held.
    public var rank: Int { singularValues.count }

    /// The leading `r` singular triplets (new tensors): the best rank-`r` approximation
    /// (Eckart–Young) when this decomposition is exact.
    public func truncated(to r: Int) -> SingularValueDecomposition {
        precondition(r >= 0 && r <= rank, "cannot truncate a rank-\(rank) SVD to \(r)")
        let m = u.rows, k = rank
        let ur = Tensor(zeros: [m, r])
        let src = u.pointer, dst = ur.pointer
        for i in 0..<m { (dst + i * r).update(from: src + i * k, count: r) }
        return SingularValueDecomposition(u: ur, singularValues: Array(singularValues.prefix(r)),
                                          vt: vt.rows(0..<r).copy())
    }

    /// `U · diag(S) · Vᵀ` as a new m×n tensor.
    public func reconstructed() -> Tensor {
        let scaled = u.copy()
        let k = rank, p = scaled.pointer
        for i in 0..<scaled.rows {
            for j in 0..<k { p[i * k + j] *= singularValues[j] }
        }
        return Gemm.product(scaled, vt)
    }
}

/// Why a decomposition could not be computed.
public enum SVDError: Error, CustomStringConvertible, Equatable {
    /// The input holds NaN or infinity (LAPACK's result would be meaningless or it may not return).
    case nonFiniteInput(shape: [Int])
    /// A dimension does not fit LAPACK's 32-bit integers.
    case tooLarge(shape: [Int])
    /// The requested rank is not in 1...min(m, n).
    case invalidRank(rank: Int, shape: [Int])
    /// A negative number of power iterations.
    case invalidIterations(Int)
    /// A LAPACK routine reported failure: `info` < 0 names a bad argument, > 0 non-convergence.
    case lapackFailure(routine: String, info: Int)
    /// A decomposition of square matrices (the symmetric eigendecomposition) got another shape.
    case notSquare(shape: [Int])

    public var description: String {
        switch self {
        case .nonFiniteInput(let shape):
            return "SVD: matrix \(shape) holds NaN or infinite values"
        case .tooLarge(let shape):
            return "SVD: matrix \(shape) is too large for LAPACK's 32-bit sizes"
        case .invalidRank(let rank, let shape):
            return "SVD: rank \(rank) is not between 1 and the smaller dimension of \(shape)"
        case .invalidIterations(let n):
            return "SVD: number of power iterations must not be negative, got \(n)"
        case .lapackFailure(let routine, let info):
            return info > 0
                ? "SVD: LAPACK \(routine) did not converge (info = \(info))"
                : "SVD: LAPACK \(routine) rejected argument \(-info) (info = \(info))"
        case .notSquare(let shape):
            return "eigendecomposition: matrix \(shape) is not square"
        }
    }
}
