/// The Sylvester equation `A X + X B = C` for symmetric `A` (m×m) and `B` (n×n), `C` m×n.
///
/// With `A = P Λ Pᵀ` and `B = Q M Qᵀ` (`SymmetricEigendecomposition`) it becomes diagonal:
/// `X = P · [ (Pᵀ C Q)_ij / (λ_i + μ_j) ] · Qᵀ` (Bartels–Stewart with both Schur forms
/// diagonal). LoRA-Pro's equation `BᵀB X + X A Aᵀ = C` has two positive semi-definite
/// coefficients, so `λ_i + μ_j ≥ 0`; the solution is unique when every sum is non-zero.
/// A component whose sum is zero is undetermined: the minimum-norm solution (0) is taken
/// when its right-hand side vanishes too, and otherwise the equation has no solution.
public enum SylvesterEquation {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case shapes(a: [Int], b: [Int], c: [Int])
        /// `λ_i + μ_j = 0` while the matching component of `C` is not.
        case singular(eigenvalueSum: Double)

        public var description: String {
            switch self {
            case .shapes(let a, let b, let c): return "Sylvester equation AX + XB = C with A \(a), B \(b), C \(c) does not fit"
            case .singular(let s): return "Sylvester equation has no solution: eigenvalues of A and B sum to \(s)"
            }
        }
    }

    /// X with `A X + X B = C`, in double precision internally.
    public static func solveSymmetric(_ a: Tensor, _ b: Tensor, _ c: Tensor) throws -> Tensor {
        guard a.rank == 2, b.rank == 2, c.rank == 2, a.rows == a.columns, b.rows == b.columns,
              c.rows == a.rows, c.columns == b.rows else {
            throw Failure.shapes(a: a.shape, b: b.shape, c: c.shape)
        }
        let ea = try SymmetricEigendecomposition(a), eb = try SymmetricEigendecomposition(b)
        let m = ea.size, n = eb.size
        let p = ea.eigenvectors, q = eb.eigenvectors
        let cv = c.array.map(Double.init)
        // F = Pᵀ C Q
        var f = product(p, product(cv, q, m, n, n), m, m, n, transposeLeft: true)
        // Y_ij = F_ij / (λ_i + μ_j); a sum that is zero to rounding is zero.
        let scale = (ea.eigenvalues.map(abs).max() ?? 0) + (eb.eigenvalues.map(abs).max() ?? 0)
        let zero = scale * Double(max(m, n)) * Double.ulpOfOne * 16
        let fScale = f.map(abs).max() ?? 0
        for i in 0..<m { for j in 0..<n {
            let sum = ea.eigenvalues[i] + eb.eigenvalues[j]
            if abs(sum) <= zero {
                guard abs(f[i * n + j]) <= fScale * 1e-12 else { throw Failure.singular(eigenvalueSum: sum) }
                f[i * n + j] = 0
            } else {
                f[i * n + j] /= sum
            }
        } }
        // X = P Y Qᵀ
        let x = product(p, product(f, q, m, n, n, transposeRight: true), m, m, n).map(Float.init)
        return Tensor(shape: [m, n], values: x)
    }

    /// `op(l) · op(r)` of row-major double matrices: op(l) is m×k, op(r) k×n (both square
    /// where transposed).
    private static func product(_ l: [Double], _ r: [Double], _ m: Int, _ k: Int, _ n: Int,
                                transposeLeft: Bool = false, transposeRight: Bool = false) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for t in 0..<k {
                    s += (transposeLeft ? l[t * m + i] : l[i * k + t]) * (transposeRight ? r[j * k + t] : r[t * n + j])
                }
                out[i * n + j] = s
            }
        }
        return out
    }
}
