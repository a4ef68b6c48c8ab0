import XCTest
@testable import Tensor

final class ReductionTests: XCTestCase {
    func testSumDotNormMaxAbsMatchFp64Loops() {
        for n in kernelSizes {
            let x = randomTensor([n], seed: 50), y = randomTensor([n], seed: 51)
            let xs = x.array.map(Double.init), ys = y.array.map(Double.init)
            let sum = xs.reduce(0, +)
            let dot = zip(xs, ys).reduce(0) { $0 + $1.0 * $1.1 }
            let norm = xs.reduce(0) { $0 + $1 * $1 }
            // fp32 partial sums of at most 64 terms per lane: error well below 1e-6 of the scale.
            let scale = xs.reduce(0) { $0 + abs($1) } + 1
            XCTAssertEqual(Reductions.sum(x), sum, accuracy: 1e-6 * scale, "sum n=\(n)")
            XCTAssertEqual(Reductions.dot(x, y), dot, accuracy: 1e-6 * scale, "dot n=\(n)")
            XCTAssertEqual(Reductions.squaredNorm(x), norm, accuracy: 1e-6 * scale, "norm n=\(n)")
            XCTAssertEqual(Reductions.maxAbs(x), x.array.map(abs).max() ?? 0, "maxAbs n=\(n)")
            XCTAssertTrue(Reductions.isFinite(x), "isFinite n=\(n)")
        }
    }

    func testMaxAbsFindsNegativeExtremesInVectorPartAndTail() {
        for n in [16, 17, 40_001] {
            for position in Set([0, n / 2, n - 1]) {
                let x = randomTensor([n], seed: 54)
                x.pointer[position] = -7.5
                XCTAssertEqual(Reductions.maxAbs(x), 7.5, "n=\(n) at \(position)")
            }
        }
        XCTAssertEqual(Reductions.maxAbs(Tensor(zeros: [0])), 0)
    }

    func testLargeSumStaysAccurate() {
        // 2²⁴ + 1 ones: a plain fp32 running sum stops at 2²⁴ = 16,777,216.
        let n = (1 << 24) + 1
        let ones = Tensor(shape: [n], repeating: 1)
        XCTAssertEqual(Reductions.sum(ones), Double(n))
        XCTAssertEqual(Reductions.squaredNorm(ones), Double(n))
        // 0.1 is not representable and every addition rounds the same way: a running fp32 sum
        // drifts by percents, the blocked sum stays within a few fp32 ulps of the exact value.
        let n2 = 3_000_001
        let tenths = Tensor(shape: [n2], repeating: 0.1)
        let exact = Double(n2) * Double(Float(0.1))
        var running: Float = 0
        for _ in 0..<n2 { running += 0.1 }
        XCTAssertGreaterThan(abs(Double(running) - exact), 1e-3 * exact)
        XCTAssertEqual(Reductions.sum(tenths), exact, accuracy: 2e-6 * exact)
    }

    func testReductionsDoNotDependOnThreadCount() {
        // Block partials are combined in block order from zero, so summing the blocks one by one
        // (each on a single thread) must reproduce the threaded sum bit for bit.
        let x = randomTensor([100_003], seed: 52)
        XCTAssertEqual(Reductions.sum(x), Reductions.sum(x))
        var total = 0.0
        var lo = 0
        while lo < x.count {
            let hi = min(x.count, lo + Reductions.blockSize)
            total += Reductions.sum(x[lo..<hi])
            lo = hi
        }
        XCTAssertEqual(Reductions.sum(x), total)
    }

    func testIsFiniteFindsNaNAndInfinityAnywhere() {
        for n in [1, 15, 16, 17, 40_001] {
            for position in Set([0, n / 2, n - 1]) {
                for bad in [Float.nan, .infinity, -.infinity] {
                    let x = randomTensor([n], seed: 53)
                    x.pointer[position] = bad
                    XCTAssertFalse(Reductions.isFinite(x), "n=\(n) \(bad) at \(position)")
                }
            }
        }
        XCTAssertTrue(Reductions.isFinite(Tensor(shape: [40_001], repeating: .greatestFiniteMagnitude)))
        XCTAssertTrue(Reductions.isFinite(Tensor(zeros: [0])))
    }
}

private extension Tensor {
    /// Elements `range` of a flat tensor, as a view sharing its storage.
    subscript(range: Range<Int>) -> Tensor {
        Tensor(storage: storage, offset: offset + range.lowerBound, shape: [range.count])
    }
}
