import XCTest
@testable import Tensor

final class ElementwiseTests: XCTestCase {
    /// Runs a binary kernel on every size and compares it with a scalar loop.
    private func checkBinary(_ name: String, _ kernel: (Tensor, Tensor, Tensor) -> Void,
                             _ reference: (Float, Float) -> Float,
                             file: StaticString = #filePath, line: UInt = #line) {
        for (s, n) in kernelSizes.enumerated() {
            let a = randomTensor([n], seed: UInt64(2 * s)), b = randomTensor([n], seed: UInt64(2 * s + 1))
            let expected = zip(a.array, b.array).map(reference)
            let c = Tensor(shape: [n], repeating: .nan)
            kernel(a, b, c)
            assertClose(c.array, expected, absolute: 0, relative: 0, "\(name) n=\(n)", file: file, line: line)
            // In place, output aliasing the first operand.
            let inPlace = a.copy()
            kernel(inPlace, b, inPlace)
            assertClose(inPlace.array, expected, absolute: 0, relative: 0, "\(name) in place n=\(n)",
                        file: file, line: line)
        }
    }

    func testAddSubtractMultiplyMatchScalarLoops() {
        checkBinary("add", { Elementwise.add($0, $1, into: $2) }, { $0 + $1 })
        checkBinary("subtract", { Elementwise.subtract($0, $1, into: $2) }, { $0 - $1 })
        checkBinary("multiply", { Elementwise.multiply($0, $1, into: $2) }, { $0 * $1 })
    }

    func testScaleAndAxpyMatchScalarLoops() {
        for n in kernelSizes {
            let x = randomTensor([n], seed: 10), y = randomTensor([n], seed: 11)
            let scaled = Tensor(zeros: [n])
            Elementwise.scale(x, by: -2.5, into: scaled)
            assertClose(scaled.array, x.array.map { $0 * -2.5 }, absolute: 0, relative: 0, "scale n=\(n)")

            let expected = zip(x.array, y.array).map { $1.addingProduct(0.75, $0) }
            let target = y.copy()
            Elementwise.axpy(0.75, x, target)
            assertClose(target.array, expected, absolute: 0, relative: 0, "axpy n=\(n)")
        }
    }

    func testCopyFillClamp() {
        for n in kernelSizes {
            let x = randomTensor([n], seed: 20)
            let y = Tensor(zeros: [n])
            Elementwise.copy(x, into: y)
            XCTAssertEqual(y.array, x.array, "copy n=\(n)")
            Elementwise.fill(y, with: 3.25)
            XCTAssertEqual(y.array, [Float](repeating: 3.25, count: n), "fill n=\(n)")
            Elementwise.clamp(x, lower: -0.5, upper: 0.25, into: y)
            XCTAssertEqual(y.array, x.array.map { min(max($0, -0.5), 0.25) }, "clamp n=\(n)")
        }
        // NaN passes through a clamp; infinities are clamped.
        let special = Tensor(shape: [19], values: [.nan, .infinity, -.infinity] + [Float](repeating: 2, count: 16))
        let out = Tensor(zeros: [19])
        Elementwise.clamp(special, lower: -1, upper: 1, into: out)
        XCTAssertTrue(out.array[0].isNaN)
        XCTAssertEqual(Array(out.array[1...]), [1, -1] + [Float](repeating: 1, count: 16))
    }

    func testAddToRowsAndSumRowsMatchLoops() {
        let shapes = [(1, 1), (3, 17), (5, 16), (257, 33), (1_000, 100), (2_050, 577), (4_097, 3)]
        for (rows, columns) in shapes {
            let m = randomTensor([rows, columns], seed: 30)
            let bias = randomTensor([columns], seed: 31)
            let values = m.array, b = bias.array
            Elementwise.addToRows(bias, m)
            var expected = values
            for r in 0..<rows { for c in 0..<columns { expected[r * columns + c] += b[c] } }
            assertClose(m.array, expected, absolute: 0, relative: 0, "addToRows \(rows)×\(columns)")

            var sums = [Double](repeating: 0, count: columns)
            for r in 0..<rows { for c in 0..<columns { sums[c] += Double(expected[r * columns + c]) } }
            let out = Tensor(shape: [columns], repeating: .nan)
            Elementwise.sumRows(m, into: out)
            assertClose(out.array, sums.map { Float($0) }, absolute: 1e-5, relative: 1e-6,
                        "sumRows \(rows)×\(columns)")
            let accumulated = Tensor(shape: [columns], repeating: 1)
            Elementwise.sumRows(m, into: accumulated, accumulate: true)
            assertClose(accumulated.array, sums.map { Float($0 + 1) }, absolute: 1e-5, relative: 1e-6,
                        "sumRows accumulate \(rows)×\(columns)")
        }
        // A rank-3 tensor is a matrix of its leading dimensions by its last.
        let batch = Tensor(shape: [2, 3, 4], repeating: 1)
        Elementwise.addToRows(Tensor(shape: [4], values: [1, 2, 3, 4]), batch)
        let total = Tensor(zeros: [4])
        Elementwise.sumRows(batch, into: total)
        XCTAssertEqual(total.array, [12, 18, 24, 30])
    }

    func testKernelsOnUnalignedViewsTouchOnlyTheView() {
        // Rows 1..<4 of a 5×17 matrix start 17 floats in: not vector aligned.
        let whole = randomTensor([5, 17], seed: 40)
        let before = whole.array
        let view = whole.rows(1..<4)
        let other = randomTensor([3, 17], seed: 41)
        Elementwise.add(view, other, into: view)
        let after = whole.array
        XCTAssertEqual(Array(after[0..<17]), Array(before[0..<17]))
        XCTAssertEqual(Array(after[68...]), Array(before[68...]))
        XCTAssertEqual(Array(after[17..<68]), zip(before[17..<68], other.array).map { $0 + $1 })
    }
}
