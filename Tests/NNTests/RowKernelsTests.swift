import Foundation
import Tensor
import XCTest

final class RowKernelsTests: XCTestCase {
    func testSoftmaxMatchesNaiveWithMaskedEntries() {
        var rng = SeededGenerator(seed: 81)
        let (rows, cols) = (7, 45)
        let x = randomTensor([rows, cols], scale: 20, &rng)
        for c in stride(from: 0, to: cols, by: 4) { x.pointer[2 * cols + c] = -.infinity }
        for c in 0..<cols { x.pointer[5 * cols + c] = -.infinity }   // fully masked row
        let y = Tensor(zeros: [rows, cols])
        var lse = [Float](repeating: 0, count: rows)
        RowKernels.softmax(x.pointer, into: y.pointer, rows: rows, columns: cols, logSumExp: &lse)
        for r in 0..<rows {
            let row = (0..<cols).map { Double(x.pointer[r * cols + $0]) }
            if r == 5 {
                XCTAssertTrue((0..<cols).allSatisfy { y.pointer[r * cols + $0] == 0 })
                XCTAssertEqual(lse[r], -.infinity)
                continue
            }
            let m = row.max() ?? 0
            let z = row.map { exp($0 - m) }.reduce(0, +)
            for c in 0..<cols {
                XCTAssertEqual(Double(y.pointer[r * cols + c]), exp(row[c] - m) / z, accuracy: 1e-6)
            }
            XCTAssertEqual(Double(lse[r]), m + log(z), accuracy: 1e-4)
        }
    }

    func testVectorExpAccuracy() {
        var worst: Float = 0
        var v: Float = -87
        while v < 88 {
            let e = RowKernels.scalarExp(v)
            worst = max(worst, abs(e - Foundation.exp(v)) / Foundation.exp(v))
            v += 0.0137
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(RowKernels.scalarExp(-.infinity), 0)
        XCTAssertEqual(RowKernels.scalarExp(0), 1)
        XCTAssertTrue(RowKernels.scalarExp(.nan).isNaN)
    }

    func testSoftmaxBackwardMatchesFiniteDifferences() {
        var rng = SeededGenerator(seed: 82)
        let x = randomTensor([3, 21], scale: 3, &rng), probe = randomTensor([3, 21], &rng)
        let y = Tensor(zeros: [3, 21])
        let loss = { () -> Double in RowKernels.softmax(x, into: y); return weightedSum(y, probe) }
        RowKernels.softmax(x, into: y)
        let dx = Tensor(zeros: [3, 21])
        RowKernels.softmaxBackward(output: y, gradient: probe, into: dx)
        GradientCheck.assertClose("softmax dx", analytic: dx.array, tensor: x, loss: loss)
    }

    func testNormStatisticsOnManyRows() {
        var rng = SeededGenerator(seed: 83)
        let (rows, cols) = (300, 70)
        let x = randomTensor([rows, cols], scale: 3, &rng)
        for c in 0..<cols { x.pointer[c] += 1000 }  // large mean: the two-pass variance holds up
        var mean = [Float](repeating: 0, count: rows), rstd = mean, rms = mean
        RowKernels.meanAndInverseStd(x.pointer, rows: rows, columns: cols, epsilon: 1e-5, mean: &mean, inverseStd: &rstd)
        RowKernels.inverseRootMeanSquare(x.pointer, rows: rows, columns: cols, epsilon: 1e-5, into: &rms)
        for r in 0..<rows {
            let row = (0..<cols).map { Double(x.pointer[r * cols + $0]) }
            let mu = row.reduce(0, +) / Double(cols)
            let variance = row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(cols)
            let ms = row.map { $0 * $0 }.reduce(0, +) / Double(cols)
            XCTAssertEqual(Double(mean[r]), mu, accuracy: abs(mu) * 1e-6 + 1e-6)
            XCTAssertEqual(Double(rstd[r]), 1 / (variance + 1e-5).squareRoot(), accuracy: 1e-4 / (variance + 1e-5).squareRoot())
            XCTAssertEqual(Double(rms[r]), 1 / (ms + 1e-5).squareRoot(), accuracy: 1e-5 / (ms + 1e-5).squareRoot())
        }
    }
}

final class HorizontalReductionTests: XCTestCase {
    func testHorizontalMaxAndSumMatchLaneByLane() {
        var rng = SeededGenerator(seed: 84)
        for _ in 0..<200 {
            let v = RowKernels.Vector((0..<16).map { _ in Float.random(in: -100...100, using: &rng) })
            XCTAssertEqual(RowKernels.horizontalMax(v), v.max())
            XCTAssertEqual(RowKernels.horizontalSum(v), v.sum(), accuracy: 1e-3)
        }
        var masked = RowKernels.Vector(repeating: -.infinity)
        XCTAssertEqual(RowKernels.horizontalMax(masked), -.infinity)
        masked[13] = 2
        XCTAssertEqual(RowKernels.horizontalMax(masked), 2)
    }
}
