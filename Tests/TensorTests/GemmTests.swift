import XCTest
@testable import Tensor

final class GemmTests: XCTestCase {
    func testEveryTransposeCombinationMatchesNaiveLoop() {
        let (m, n, k) = (37, 23, 19)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = randomTensor(transposeA ? [k, m] : [m, k], seed: 60)
                let b = randomTensor(transposeB ? [n, k] : [k, n], seed: 61)
                let ab = naiveProduct(a.array, b.array, m: m, n: n, k: k,
                                      transposeA: transposeA, transposeB: transposeB)
                let label = "\(transposeA ? "T" : "N")\(transposeB ? "T" : "N")"

                let product = Gemm.product(a, b, transposeA: transposeA, transposeB: transposeB)
                XCTAssertEqual(product.shape, [m, n], label)
                assertClose(product.array, ab.map { Float($0) }, absolute: 1e-5, relative: 1e-5, label)

                // alpha and beta: c = 0.5·op(a)·op(b) + 0.25·c.
                let c = randomTensor([m, n], seed: 62)
                let expected = zip(ab, c.array).map { Float(0.5 * $0 + 0.25 * Double($1)) }
                Gemm.multiply(a, b, transposeA: transposeA, transposeB: transposeB,
                              alpha: 0.5, beta: 0.25, into: c)
                assertClose(c.array, expected, absolute: 1e-5, relative: 1e-5, "\(label) alpha beta")
            }
        }
    }

    func testLargeProductUsesBlasThreadsCorrectly() {
        // Big enough for OpenBLAS to split over its threads.
        let (m, n, k) = (300, 257, 129)
        let a = randomTensor([m, k], seed: 63), b = randomTensor([n, k], seed: 64)
        let expected = naiveProduct(a.array, b.array, m: m, n: n, k: k, transposeA: false, transposeB: true)
        assertClose(Gemm.product(a, b, transposeB: true).array, expected.map { Float($0) },
                    absolute: 1e-4, relative: 1e-5)
    }

    func testEmptyInnerDimensionHonoursBeta() {
        let c = Tensor(shape: [2, 3], repeating: 4)
        Gemm.sgemm(transposeA: false, transposeB: false, m: 2, n: 3, k: 0,
                   a: c.pointer, lda: 1, b: c.pointer, ldb: 3, beta: 0.5, c: c.pointer, ldc: 3)
        XCTAssertEqual(c.array, [Float](repeating: 2, count: 6))
    }

    func testBatchedMatchesNaiveLoopPerItem() {
        let (batch, m, n, k) = (3, 9, 11, 5)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = randomTensor([batch, m * k], seed: 65)
                let b = randomTensor([batch, k * n], seed: 66)
                let c = Tensor(shape: [batch, m, n], repeating: 1)
                Gemm.sgemmBatched(batch: batch, transposeA: transposeA, transposeB: transposeB,
                                  m: m, n: n, k: k, alpha: 2,
                                  a: a.pointer, lda: transposeA ? m : k, strideA: m * k,
                                  b: b.pointer, ldb: transposeB ? k : n, strideB: k * n,
                                  beta: 1, c: c.pointer, ldc: n, strideC: m * n)
                for i in 0..<batch {
                    let expected = naiveProduct(a[i].array, b[i].array, m: m, n: n, k: k,
                                                transposeA: transposeA, transposeB: transposeB)
                    assertClose(c[i].array, expected.map { Float(2 * $0 + 1) }, absolute: 1e-5,
                                relative: 1e-5, "batch item \(i) tA=\(transposeA) tB=\(transposeB)")
                }
            }
        }
    }

    func testProductOfRowViewsReadsTheRightRows() {
        let a = randomTensor([10, 7], seed: 67), b = randomTensor([7, 4], seed: 68)
        let view = a.rows(3..<8)
        let expected = naiveProduct(Array(a.array[21..<56]), b.array, m: 5, n: 4, k: 7,
                                    transposeA: false, transposeB: false)
        assertClose(Gemm.product(view, b).array, expected.map { Float($0) }, absolute: 1e-5)
    }
}
