import Tensor
import XCTest
import NN

/// LayerNorm's backward (16-lane loops, rows split over the cores, per-chunk weight partials)
/// against the closed form in Double, on enough rows for several chunks and a width with a
/// tail past the last full vector.
final class LayerNormBackwardTests: XCTestCase {
    func testBackwardMatchesDoubleReferenceOverManyRows() {
        var rng = SeededGenerator(seed: 25)
        let (rows, dim) = (1_000, 40)
        let x = randomTensor([rows, dim], scale: 3, &rng), dy = randomTensor([rows, dim], &rng)
        let norm = LayerNorm(weight: randomTensor([dim], &rng), bias: randomTensor([dim], &rng),
                             epsilon: 1e-5, trainable: true)
        _ = norm.forward(x)
        let dx = norm.backward(dy).array
        var expectedDx = [Double](), expectedDw = [Double](repeating: 0, count: dim)
        var expectedDb = [Double](repeating: 0, count: dim)
        for r in 0..<rows {
            let row = (0..<dim).map { Double(x.pointer[r * dim + $0]) }
            let g = (0..<dim).map { Double(dy.pointer[r * dim + $0]) }
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
            let s = 1 / (variance + 1e-5).squareRoot()
            let h = row.map { ($0 - mean) * s }
            let gw = (0..<dim).map { g[$0] * Double(norm.weight.value.pointer[$0]) }
            let meanG = gw.reduce(0, +) / Double(dim)
            let meanGH = zip(gw, h).map { $0 * $1 }.reduce(0, +) / Double(dim)
            for i in 0..<dim {
                expectedDx.append(s * (gw[i] - meanG - h[i] * meanGH))
                expectedDw[i] += g[i] * h[i]
                expectedDb[i] += g[i]
            }
        }
        XCTAssertLessThan(maxAbsDifference(dx, expectedDx), 1e-4)
        XCTAssertLessThan(maxAbsDifference(norm.weight.gradient?.array ?? [], expectedDw), 1e-3)
        XCTAssertLessThan(maxAbsDifference(norm.bias.gradient?.array ?? [], expectedDb), 1e-3)

        // Frozen: the same input gradient through the path without partials.
        let frozen = LayerNorm(weight: norm.weight.value, bias: norm.bias.value, epsilon: 1e-5)
        _ = frozen.forward(x)
        XCTAssertLessThan(maxAbsDifference(frozen.backward(dy).array, expectedDx), 1e-4)
    }
}
