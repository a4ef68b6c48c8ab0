import XCTest
@testable import Tensor

final class SVDTests: XCTestCase {
    // MARK: - Checks

    /// Largest |QᵀQ − I| for the columns of q (or, with `rows`, |QQᵀ − I| for its rows).
    private func orthonormalityError(_ q: Tensor, rows: Bool = false) -> Float {
        let gram = rows ? Gemm.product(q, q, transposeB: true) : Gemm.product(q, q, transposeA: true)
        let k = gram.rows
        var worst: Float = 0
        for i in 0..<k { for j in 0..<k { worst = max(worst, abs(gram.pointer[i * k + j] - (i == j ? 1 : 0))) } }
        return worst
    }

    private func frobeniusDistance(_ a: Tensor, _ b: Tensor) -> Double {
        let d = Tensor(zeros: a.shape)
        Elementwise.subtract(a, b, into: d)
        return Reductions.squaredNorm(d).squareRoot()
    }

    private func frobenius(_ a: Tensor) -> Double { Reductions.squaredNorm(a).squareRoot() }

    /// Every property that together make U·diag(S)·Vᵀ an SVD of `a`.
    private func assertValidSVD(_ svd: SingularValueDecomposition, of a: Tensor, rank k: Int,
                                tolerance: Float = 2e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(svd.u.shape, [a.rows, k], file: file, line: line)
        XCTAssertEqual(svd.vt.shape, [k, a.columns], file: file, line: line)
        XCTAssertEqual(svd.singularValues.count, k, file: file, line: line)
        XCTAssertLessThan(orthonormalityError(svd.u), tolerance, "UᵀU ≠ I", file: file, line: line)
        XCTAssertLessThan(orthonormalityError(svd.vt, rows: true), tolerance, "VᵀV ≠ I", file: file, line: line)
        let s = svd.singularValues
        XCTAssertTrue(s.allSatisfy { $0 >= 0 }, "negative singular value", file: file, line: line)
        XCTAssertTrue(zip(s, s.dropFirst()).allSatisfy { $0 >= $1 }, "not descending: \(s.prefix(12))",
                      file: file, line: line)
    }

    /// m×n with singular values `spectrum` (and random singular vectors).
    private func matrix(_ m: Int, _ n: Int, spectrum: [Float], seed: UInt64) throws -> Tensor {
        var g = SeededGenerator(seed: seed)
        let r = spectrum.count
        let left = Tensor(zeros: [m, r]), right = Tensor(zeros: [n, r])
        g.fillNormal(left)
        g.fillNormal(right)
        try SVD.orthonormalizeColumns(left)
        try SVD.orthonormalizeColumns(right)
        for i in 0..<m { for j in 0..<r { left.pointer[i * r + j] *= spectrum[j] } }
        return Gemm.product(left, right, transposeB: true)
    }

    /// ‖A − A_r‖_F by Eckart–Young: the root of the sum of the discarded σ².
    private func eckartYoungBound(_ s: [Float], rank r: Int) -> Double {
        s.dropFirst(r).reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    // MARK: - Exact SVD

    func testExactSVDOfRandomMatricesOfEveryShape() throws {
        for (m, n) in [(300, 200), (200, 300), (17, 17), (1, 5), (5, 1), (1, 1), (576 / 4, 1536 / 4)] {
            let a = randomTensor([m, n], seed: UInt64(m * 1000 + n))
            let svd = try SVD.exact(a)
            assertValidSVD(svd, of: a, rank: min(m, n))
            XCTAssertLessThan(frobeniusDistance(svd.reconstructed(), a) / frobenius(a), 2e-6, "\(m)×\(n)")
            // Σσ² = ‖A‖²_F, an independent check of the scale of S.
            let sumSquares = svd.singularValues.reduce(0.0) { $0 + Double($1) * Double($1) }
            XCTAssertEqual(sumSquares, Reductions.squaredNorm(a), accuracy: 1e-5 * Reductions.squaredNorm(a))
        }
    }

    func testExactSVDRecoversAKnownSpectrum() throws {
        let spectrum: [Float] = [50, 20, 10, 5, 2, 1, 0.5, 0.25]
        let a = try matrix(120, 80, spectrum: spectrum, seed: 70)
        let svd = try SVD.exact(a)
        assertClose(Array(svd.singularValues.prefix(8)), spectrum, absolute: 1e-4, relative: 1e-5)
        XCTAssertLessThan(svd.singularValues[8], 1e-4)
    }

    func testTruncationErrorIsEckartYoungBound() throws {
        let a = randomTensor([300, 200], seed: 71)
        let svd = try SVD.exact(a)
        for r in [1, 10, 50, 199, 200] {
            let error = frobeniusDistance(svd.truncated(to: r).reconstructed(), a)
            let bound = eckartYoungBound(svd.singularValues, rank: r)
            XCTAssertEqual(error, bound, accuracy: 1e-5 * frobenius(a), "rank \(r)")
        }
    }

    func testExactSVDHandlesEmptyAndRejectsNonFinite() throws {
        let empty = try SVD.exact(Tensor(zeros: [0, 4]))
        XCTAssertEqual(empty.rank, 0)
        XCTAssertEqual(empty.vt.shape, [0, 4])
        let bad = randomTensor([6, 5], seed: 72)
        bad.pointer[13] = .nan
        XCTAssertThrowsError(try SVD.exact(bad)) { error in
            XCTAssertEqual(error as? SVDError, .nonFiniteInput(shape: [6, 5]))
        }
        bad.pointer[13] = -.infinity
        XCTAssertThrowsError(try SVD.exact(bad))
    }

    // MARK: - QR

    func testOrthonormalizeColumnsKeepsTheSpan() throws {
        let x = randomTensor([50, 7], seed: 73)
        let q = x.copy()
        try SVD.orthonormalizeColumns(q)
        XCTAssertLessThan(orthonormalityError(q), 1e-5)
        // Q·Qᵀ·X = X when the columns of Q span those of X.
        let projected = Gemm.product(q, Gemm.product(q, x, transposeA: true))
        XCTAssertLessThan(frobeniusDistance(projected, x) / frobenius(x), 1e-5)
    }

    // MARK: - Randomized SVD

    func testRandomizedRecoversExactlyLowRankMatrix() throws {
        // 300×200 of rank 10, made as a product of Gaussian factors.
        var g = SeededGenerator(seed: 74)
        let left = Tensor(zeros: [300, 10]), right = Tensor(zeros: [10, 200])
        g.fillNormal(left)
        g.fillNormal(right)
        let a = Gemm.product(left, right)
        let exact = try SVD.exact(a)
        XCTAssertLessThan(exact.singularValues[10], 1e-5 * exact.singularValues[0], "rank is 10")
        for iterations in [0, 2, 10] {
            let svd = try SVD.randomized(a, rank: 10, powerIterations: iterations, generator: &g)
            assertValidSVD(svd, of: a, rank: 10)
            assertClose(svd.singularValues, Array(exact.singularValues.prefix(10)), absolute: 0,
                        relative: 1e-4, "niter \(iterations)")
            // Without power iterations the basis is only as accurate as the conditioning of
            // the sketch A·Ω allows; each iteration brings it to working precision.
            XCTAssertLessThan(frobeniusDistance(svd.reconstructed(), a) / frobenius(a),
                              iterations == 0 ? 1e-4 : 1e-5, "niter \(iterations)")
        }
    }

    func testRandomizedMatchesExactOnDecayingSpectrumInEveryBranch() throws {
        // A 576×1536-like weight at a quarter of the size, its transpose, and a tall matrix with
        // q = n (PyTorch's other branch, basis of the column space).
        let spectrum = (0..<40).map { Float(pow(0.8, Double($0))) }
        for (m, n, r) in [(144, 384, 8), (384, 144, 8), (60, 8, 8)] {
            let a = try matrix(m, n, spectrum: Array(spectrum.prefix(min(m, n))), seed: 75)
            let exact = try SVD.exact(a)
            var g = SeededGenerator(seed: 76)
            let svd = try SVD.randomized(a, rank: r, powerIterations: 10, generator: &g)
            assertValidSVD(svd, of: a, rank: r)
            assertClose(svd.singularValues, Array(exact.singularValues.prefix(r)), absolute: 1e-5,
                        relative: 1e-4, "\(m)×\(n)")
            let error = frobeniusDistance(svd.reconstructed(), a)
            let bound = eckartYoungBound(exact.singularValues, rank: r)
            XCTAssertEqual(error, bound, accuracy: 1e-3 * bound + 1e-5, "\(m)×\(n) rank \(r)")
        }
    }

    func testRandomizedOnSignMatrixIsNearOptimal() throws {
        // The LoRA-SB case: −η·sign(G), a flat spectrum, hardest for range finders.
        let g0 = randomTensor([144, 384], seed: 77)
        let values = g0.array.map { $0 < 0 ? Float(1e-3) : Float(-1e-3) }
        let a = Tensor(shape: [144, 384], values: values)
        let exact = try SVD.exact(a)
        for (iterations, slack) in [(2, 0.03), (10, 0.01)] {
            var g = SeededGenerator(seed: 78)
            let svd = try SVD.randomized(a, rank: 16, powerIterations: iterations, generator: &g)
            assertValidSVD(svd, of: a, rank: 16)
            let error = frobeniusDistance(svd.reconstructed(), a)
            let bound = eckartYoungBound(exact.singularValues, rank: 16)
            XCTAssertGreaterThanOrEqual(error, bound * (1 - 1e-5), "cannot beat the optimum")
            XCTAssertLessThanOrEqual(error, bound * (1 + slack), "niter \(iterations)")
        }
    }

    func testRandomizedIsReproducibleAndValidatesArguments() throws {
        let a = randomTensor([40, 30], seed: 79)
        var g1 = SeededGenerator(seed: 80), g2 = SeededGenerator(seed: 80)
        let s1 = try SVD.randomized(a, rank: 5, powerIterations: 3, generator: &g1)
        let s2 = try SVD.randomized(a, rank: 5, powerIterations: 3, generator: &g2)
        XCTAssertEqual(s1.u.array, s2.u.array)
        XCTAssertEqual(s1.singularValues, s2.singularValues)
        XCTAssertEqual(s1.vt.array, s2.vt.array)

        for rank in [0, -1, 31] {
            XCTAssertThrowsError(try SVD.randomized(a, rank: rank, generator: &g1)) { error in
                XCTAssertEqual(error as? SVDError, .invalidRank(rank: rank, shape: [40, 30]))
            }
        }
        XCTAssertThrowsError(try SVD.randomized(a, rank: 2, powerIterations: -1, generator: &g1))
        let bad = a.copy()
        bad.pointer[0] = .infinity
        XCTAssertThrowsError(try SVD.randomized(bad, rank: 2, generator: &g1)) { error in
            XCTAssertEqual(error as? SVDError, .nonFiniteInput(shape: [40, 30]))
        }
    }
}
