import XCTest
@testable import Tensor

/// The bf16 product against a double-precision loop over the same bf16-rounded operands: what
/// differs is only the order of the fp32 sums, so the tolerance is a few fp32 ulps of Σ|a·b|.
final class BF16ProductTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Gemm.bf16Supported, "this CPU has no AVX-512 BF16")
    }

    /// fp32 → bf16 → fp32, the rounding the product applies to both operands.
    private func rounded(_ t: Tensor) -> [Float] { BF16Matrix(t).floatTensor().array }

    private func check(transposeB: Bool, m: Int, n: Int, k: Int, beta: Float, seed: UInt64,
                       file: StaticString = #filePath, line: UInt = #line) {
        let a = randomTensor([m, k], seed: seed)
        let w = randomTensor(transposeB ? [n, k] : [k, n], seed: seed + 1)
        let c = randomTensor([m, n], seed: seed + 2)
        let before = c.array
        let ar = rounded(a), wr = rounded(w)
        var expected = [Float](repeating: 0, count: m * n)
        var tolerance = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let product = Double(ar[i * k + p]) * Double(wr[transposeB ? j * k + p : p * n + j])
                    sum += product
                    magnitude += abs(product)
                }
                let old = Double(before[i * n + j])
                expected[i * n + j] = Float(sum + Double(beta) * old)
                tolerance[i * n + j] = Float(4e-7 * (magnitude + abs(old)) * Double(k).squareRoot() + 1e-7)
            }
        }
        Gemm.bf16Product(transposeB: transposeB, m: m, n: n, k: k, a: a.pointer, lda: k, b: BF16Matrix(w),
                         beta: beta, c: c.pointer, ldc: n)
        let got = c.array
        var worst = 0
        for i in 0..<(m * n) where abs(got[i] - expected[i]) - tolerance[i] > abs(got[worst] - expected[worst]) - tolerance[worst] {
            worst = i
        }
        XCTAssertLessThanOrEqual(abs(got[worst] - expected[worst]), tolerance[worst],
                                 "\(transposeB ? "x·Wᵀ" : "dy·W") \(m)×\(n)×\(k) β=\(beta): element \(worst) is \(got[worst]), expected \(expected[worst])",
                                 file: file, line: line)
    }

    func testBothLayoutsMatchTheRoundedOperandsAcrossBlockEdges() {
        // Edges of every blocking: rows around the 12-row tile and the 192-row block, columns
        // around the 32-column panel and the 512-column block, k odd and across the 384 block.
        let shapes = [(1, 1, 1), (13, 33, 7), (12, 32, 2), (25, 70, 385), (200, 530, 769), (7, 600, 64)]
        for (index, (m, n, k)) in shapes.enumerated() {
            for transposeB in [true, false] {
                for beta: Float in [0, 1, 0.5] {
                    check(transposeB: transposeB, m: m, n: n, k: k, beta: beta, seed: 900 + UInt64(index) * 10)
                }
            }
        }
    }

    /// `aᵀ·b` (a weight gradient `dyᵀx`): the same double-precision check over the rounded
    /// operands, across the transposition's 16-wide tiles and odd k.
    func testTransposedProductMatchesTheRoundedOperands() {
        for (index, (m, n, k)) in [(1, 1, 1), (17, 33, 7), (40, 70, 385), (576, 100, 64)].enumerated() {
            for beta: Float in [0, 1] {
                let seed = 700 + UInt64(index) * 10
                let a = randomTensor([k, m], seed: seed), b = randomTensor([k, n], seed: seed + 1)
                let c = randomTensor([m, n], seed: seed + 2)
                let before = c.array, ar = rounded(a), br = rounded(b)
                Gemm.bf16TransposedProduct(m: m, n: n, k: k, a: a.pointer, lda: m, b: b.pointer, ldb: n,
                                           beta: beta, c: c.pointer, ldc: n)
                let got = c.array
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0, magnitude = 0.0
                        for p in 0..<k {
                            let product = Double(ar[p * m + i]) * Double(br[p * n + j])
                            sum += product
                            magnitude += abs(product)
                        }
                        let old = Double(before[i * n + j])
                        let expected = sum + Double(beta) * old
                        let tolerance = 4e-7 * (magnitude + abs(old)) * Double(k).squareRoot() + 1e-7
                        if abs(Double(got[i * n + j]) - expected) > tolerance {
                            XCTFail("aᵀ·b \(m)×\(n)×\(k) β=\(beta): element (\(i), \(j)) is \(got[i * n + j]), expected \(expected)")
                            return
                        }
                    }
                }
            }
        }
    }

    func testBetaZeroDoesNotReadStaleOutput() {
        let (m, n, k) = (14, 40, 9)
        let a = randomTensor([m, k], seed: 1), w = randomTensor([n, k], seed: 2)
        let c = Tensor(shape: [m, n], repeating: .nan)
        Gemm.bf16Product(transposeB: true, m: m, n: n, k: k, a: a.pointer, lda: k, b: BF16Matrix(w), c: c.pointer, ldc: n)
        XCTAssertTrue(c.array.allSatisfy { $0.isFinite })
    }

    func testRoundingIsNearestEvenAndKeepsSpecialValues() {
        // 1 + 2⁻⁸ is halfway between two bf16 values: it rounds to the even one (1.0); 1 + 3·2⁻⁸
        // rounds up to 1 + 2⁻⁶.
        let t = Tensor(shape: [1, 6], values: [1 + 1.0 / 256, 1 + 3.0 / 256, -2.5, .infinity, 1e-40, 3.0e38])
        let r = BF16Matrix(t).floatTensor().array
        XCTAssertEqual(r[0], 1)
        XCTAssertEqual(r[1], 1 + 1.0 / 64)
        XCTAssertEqual(r[2], -2.5)
        XCTAssertEqual(r[3], .infinity)
        XCTAssertEqual(r[4], 0)                  // denormal: flushed, as the vector conversion does
        XCTAssertEqual(r[5], 3.0e38, accuracy: 3.0e38 / 128)
        let nan = BF16Matrix(Tensor(shape: [1, 1], values: [.nan])).floatTensor().array[0]
        XCTAssertTrue(nan.isNaN)
    }
}
