import CBLAS

/// `A = V · diag(λ) · Vᵀ` of a real symmetric n×n matrix, through LAPACK's divide-and-conquer
/// `dsyevd` in double precision: the matrices it serves (LoRA-Pro's r×r Gram matrices `BᵀB`,
/// `A Aᵀ`) are tiny, and their inverses amplify rounding by their condition number.
///
/// `eigenvalues` ascend; column j of the row-major `eigenvectors` is the unit eigenvector of
/// `eigenvalues[j]`. Only the upper triangle of the input is read.
public struct SymmetricEigendecomposition: Sendable {
    public let size: Int
    public let eigenvalues: [Double]
    public let eigenvectors: [Double]

    /// - Throws: `SVDError` for a non-square or non-finite input or a LAPACK failure.
    public init(_ a: Tensor) throws {
        guard a.rank == 2, a.rows == a.columns else { throw SVDError.notSquare(shape: a.shape) }
        guard Reductions.isFinite(a) else { throw SVDError.nonFiniteInput(shape: a.shape) }
        guard a.rows <= Int(Int32.max) else { throw SVDError.tooLarge(shape: a.shape) }
        let n = a.rows
        var v = a.array.map(Double.init)
        var w = [Double](repeating: 0, count: n)
        if n > 0 {
            let info = v.withUnsafeMutableBufferPointer { vp in
                w.withUnsafeMutableBufferPointer { wp in
                    LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
                                   Int32(n), vp.baseAddress, Int32(n), wp.baseAddress)
                }
            }
            if info != 0 { throw SVDError.lapackFailure(routine: "dsyevd", info: Int(info)) }
        }
        size = n
        eigenvalues = w
        eigenvectors = v
    }

    /// `V · diag(f(λ)) · Vᵀ` as an fp32 tensor: the matrix function of `f`.
    public func applying(_ f: (Double) -> Double) -> Tensor {
        let n = size
        let d = eigenvalues.map(f)
        var out = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for k in 0..<n { s += eigenvectors[i * n + k] * d[k] * eigenvectors[j * n + k] }
                out[i * n + j] = Float(s)
                out[j * n + i] = Float(s)
            }
        }
        return Tensor(shape: [n, n], values: out)
    }

    /// The Moore–Penrose pseudo-inverse, as `torch.linalg.pinv` computes it: eigenvalues of
    /// magnitude at most `relativeTolerance · max|λ|` count as zero. The default tolerance is
    /// PyTorch's for fp32 input (`n · ε_float`).
    public func pseudoInverse(relativeTolerance: Double? = nil) -> Tensor {
        let tolerance = (relativeTolerance ?? Double(size) * Double(Float.ulpOfOne))
            * (eigenvalues.map(abs).max() ?? 0)
        return applying { abs($0) > tolerance ? 1 / $0 : 0 }
    }
}
