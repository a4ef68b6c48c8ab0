import XCTest
@testable import Tensor

/// The symmetric eigendecomposition and the Sylvester solver against direct solutions: the
/// eigenpairs of a matrix built from known ones, and `A X + X B = C` solved as the Kronecker
/// linear system `(I ⊗ A + Bᵀ ⊗ I) vec X = vec C` by Gaussian elimination in double precision.
final class SylvesterEquationTests: XCTestCase {
    /// `M Mᵀ + shift·I`, n×n: symmetric positive (semi-)definite.
    func gram(_ n: Int, columns: Int, shift: Float, seed: UInt64) -> Tensor {
        let m = randomTensor([n, columns], seed: seed)
        let g = Gemm.product(m, m, transposeB: true)
        for i in 0..<n { g.pointer[i * n + i] += shift }
        return g
    }

    func identity(_ n: Int) -> Tensor {
        let t = Tensor(zeros: [n, n])
        for i in 0..<n { t.pointer[i * n + i] = 1 }
        return t
    }

    func testEigendecompositionRecoversKnownEigenpairs() throws {
        // A = Q diag(d) Qᵀ with Q orthonormal (from an exact SVD) and known d.
        let n = 6
        let q = try SVD.exact(randomTensor([n, n], seed: 3)).u
        let d: [Float] = [-2, -0.5, 0.25, 1, 3, 7.5]
        let scaled = q.copy()
        for i in 0..<n { for j in 0..<n { scaled.pointer[i * n + j] *= d[j] } }
        let a = Gemm.product(scaled, q, transposeB: true)
        let e = try SymmetricEigendecomposition(a)
        for (x, y) in zip(e.eigenvalues, d) { XCTAssertEqual(x, Double(y), accuracy: 1e-5) }
        // Each column is a unit eigenvector: A v = λ v.
        for j in 0..<n {
            for i in 0..<n {
                var av = 0.0
                for k in 0..<n { av += Double(a.pointer[i * n + k]) * e.eigenvectors[k * n + j] }
                XCTAssertEqual(av, e.eigenvalues[j] * e.eigenvectors[i * n + j], accuracy: 1e-5)
            }
        }
        // f(A) = identity for f = 1, and the inverse for 1/λ.
        assertClose(e.applying { _ in 1 }.array, identity(n).array, absolute: 1e-5)
        let inverse = e.pseudoInverse()
        assertClose(Gemm.product(a, inverse).array, identity(n).array, absolute: 1e-4)
    }

    func testPseudoInverseOfASingularGramMatrix() throws {
        // Rank 2 in 5 dimensions: A A⁺ A = A and A⁺ A A⁺ = A⁺ (the Moore–Penrose conditions).
        let a = gram(5, columns: 2, shift: 0, seed: 9)
        let p = try SymmetricEigendecomposition(a).pseudoInverse()
        assertClose(Gemm.product(Gemm.product(a, p), a).array, a.array, absolute: 1e-4, relative: 1e-3)
        assertClose(Gemm.product(Gemm.product(p, a), p).array, p.array, absolute: 1e-3, relative: 1e-3)
    }

    func testSylvesterMatchesTheKroneckerSolution() throws {
        for (m, n, seed) in [(3, 3, UInt64(1)), (4, 6, 2), (8, 2, 3)] {
            let a = gram(m, columns: m + 1, shift: 0.1, seed: seed)
            let b = gram(n, columns: n + 2, shift: 0.05, seed: seed + 100)
            let c = randomTensor([m, n], seed: seed + 200)
            let x = try SylvesterEquation.solveSymmetric(a, b, c)
            let direct = kroneckerSolve(a: a.array, b: b.array, c: c.array, m: m, n: n)
            assertClose(x.array, direct.map(Float.init), absolute: 1e-4, relative: 1e-4, "\(m)×\(n)")
            let residual = Gemm.product(a, x)
            Gemm.multiply(x, b, alpha: 1, beta: 1, into: residual)
            assertClose(residual.array, c.array, absolute: 1e-4, relative: 1e-4)
        }
    }

    func testSylvesterRefusesAnUnsolvableEquationAndBadShapes() throws {
        // A = B = 0 with C ≠ 0: no X exists; with C = 0 the minimum-norm X is 0.
        let zero = Tensor(zeros: [2, 2])
        XCTAssertThrowsError(try SylvesterEquation.solveSymmetric(zero, zero, Tensor(shape: [2, 2], values: [1, 0, 0, 1])))
        XCTAssertEqual(try SylvesterEquation.solveSymmetric(zero, zero, zero).array, [0, 0, 0, 0])
        XCTAssertThrowsError(try SylvesterEquation.solveSymmetric(zero, Tensor(zeros: [3, 3]), zero))
        XCTAssertThrowsError(try SymmetricEigendecomposition(Tensor(zeros: [2, 3])))
        XCTAssertThrowsError(try SymmetricEigendecomposition(Tensor(shape: [1, 1], values: [.nan])))
    }

    /// vec X (column-major) from `(I_n ⊗ A + Bᵀ ⊗ I_m) vec X = vec C`, by Gaussian elimination
    /// with partial pivoting; X returned row-major.
    func kroneckerSolve(a: [Float], b: [Float], c: [Float], m: Int, n: Int) -> [Double] {
        let size = m * n
        var k = [Double](repeating: 0, count: size * size)
        var rhs = [Double](repeating: 0, count: size)
        // Unknown index: X[i, j] ↦ j·m + i.
        for j in 0..<n { for i in 0..<m {
            let row = j * m + i
            rhs[row] = Double(c[i * n + j])
            for p in 0..<m { k[row * size + j * m + p] += Double(a[i * m + p]) }      // (A X)_ij
            for q in 0..<n { k[row * size + q * m + i] += Double(b[q * n + j]) }      // (X B)_ij
        } }
        for col in 0..<size {
            let pivot = (col..<size).max { abs(k[$0 * size + col]) < abs(k[$1 * size + col]) }!
            if pivot != col {
                for t in 0..<size { k.swapAt(col * size + t, pivot * size + t) }
                rhs.swapAt(col, pivot)
            }
            for r in (col + 1)..<size {
                let f = k[r * size + col] / k[col * size + col]
                for t in col..<size { k[r * size + t] -= f * k[col * size + t] }
                rhs[r] -= f * rhs[col]
            }
        }
        var v = [Double](repeating: 0, count: size)
        for r in stride(from: size - 1, through: 0, by: -1) {
            var s = rhs[r]
            for t in (r + 1)..<size { s -= k[r * size + t] * v[t] }
            v[r] = s / k[r * size + r]
        }
        var x = [Double](repeating: 0, count: size)
        for i in 0..<m { for j in 0..<n { x[i * n + j] = v[j * m + i] } }
        return x
    }
}
