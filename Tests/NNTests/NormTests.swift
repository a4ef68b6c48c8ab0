import Tensor
import XCTest
import NN

final class NormTests: XCTestCase {
    func testLayerNormForwardMatchesNaive() {
        var rng = SeededGenerator(seed: 21)
        let (rows, dim) = (5, 37)
        let x = randomTensor([rows, dim], scale: 3, &rng)
        let norm = LayerNorm(weight: randomTensor([dim], &rng), bias: randomTensor([dim], &rng), epsilon: 1e-5)
        let y = norm.forward(x)
        var expected = [Double]()
        for r in 0..<rows {
            let row = (0..<dim).map { Double(x.pointer[r * dim + $0]) }
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
            for i in 0..<dim {
                expected.append((row[i] - mean) / (variance + 1e-5).squareRoot()
                                * Double(norm.weight.value.pointer[i]) + Double(norm.bias.value.pointer[i]))
            }
        }
        XCTAssertLessThan(maxAbsDifference(y.array, expected), 1e-5)
    }

    func testLayerNormGradients() {
        var rng = SeededGenerator(seed: 22)
        let x = randomTensor([2, 3, 19], scale: 2, &rng)
        let norm = LayerNorm(weight: randomTensor([19], &rng), bias: randomTensor([19], &rng),
                             epsilon: 1e-5, trainable: true)
        let probe = randomTensor([2, 3, 19], &rng)
        let loss = { weightedSum(norm.forward(x), probe) }
        _ = norm.forward(x)
        let dx = norm.backward(probe).array
        GradientCheck.assertClose("LayerNorm dx", analytic: dx, tensor: x, loss: loss)
        GradientCheck.assertClose("LayerNorm dW", analytic: norm.weight.gradient?.array ?? [], tensor: norm.weight.value, loss: loss)
        GradientCheck.assertClose("LayerNorm db", analytic: norm.bias.gradient?.array ?? [], tensor: norm.bias.value, loss: loss)
    }

    func testLayerNormFrozenGivesOnlyInputGradient() {
        var rng = SeededGenerator(seed: 23)
        let x = randomTensor([4, 33], &rng), probe = randomTensor([4, 33], &rng)
        let norm = LayerNorm(weight: randomTensor([33], &rng), bias: randomTensor([33], &rng), epsilon: 1e-12)
        let loss = { weightedSum(norm.forward(x), probe) }
        _ = norm.forward(x)
        let dx = norm.backward(probe).array
        XCTAssertNil(norm.weight.gradient)
        XCTAssertNil(norm.bias.gradient)
        GradientCheck.assertClose("LayerNorm frozen dx", analytic: dx, tensor: x, loss: loss)
    }

    func testRMSNormForwardMatchesNaive() {
        var rng = SeededGenerator(seed: 24)
        let (rows, dim) = (3, 41)
        let x = randomTensor([rows, dim], scale: 2, &rng)
        let norm = RMSNorm(weight: randomTensor([dim], &rng), epsilon: 1e-5)
        let y = norm.forward(x)
        var expected = [Double]()
        for r in 0..<rows {
            let row = (0..<dim).map { Double(x.pointer[r * dim + $0]) }
            let ms = row.map { $0 * $0 }.reduce(0, +) / Double(dim)
            for i in 0..<dim { expected.append(row[i] / (ms + 1e-5).squareRoot() * Double(norm.weight.value.pointer[i])) }
        }
        XCTAssertLessThan(maxAbsDifference(y.array, expected), 1e-5)
    }

    func testRMSNormGradients() {
        var rng = SeededGenerator(seed: 25)
        // 35 columns: two SIMD blocks of 16 and a tail of 3.
        let x = randomTensor([2, 3, 35], scale: 2, &rng)
        let norm = RMSNorm(weight: randomTensor([35], &rng), epsilon: 1e-5, trainable: true)
        let probe = randomTensor([2, 3, 35], &rng)
        let loss = { weightedSum(norm.forward(x), probe) }
        _ = norm.forward(x)
        let dx = norm.backward(probe).array
        GradientCheck.assertClose("RMSNorm dx", analytic: dx, tensor: x, loss: loss)
        GradientCheck.assertClose("RMSNorm dW", analytic: norm.weight.gradient?.array ?? [], tensor: norm.weight.value, loss: loss)
    }

    func testRMSNormGradientsOnManyRowsUseParallelPartials() {
        // Enough rows that the weight gradient is accumulated in per-core partial sums.
        var rng = SeededGenerator(seed: 26)
        let (rows, dim) = (600, 64)
        let x = randomTensor([rows, dim], &rng), probe = randomTensor([rows, dim], &rng)
        let norm = RMSNorm(weight: randomTensor([dim], &rng), epsilon: 1e-6, trainable: true)
        _ = norm.forward(x)
        _ = norm.backward(probe)
        let dW = norm.weight.gradient?.array ?? []
        // dW_i = Σ_r dy[r,i] · x[r,i] · rstd_r, in Double.
        var expected = [Double](repeating: 0, count: dim)
        for r in 0..<rows {
            let row = (0..<dim).map { Double(x.pointer[r * dim + $0]) }
            let rstd = 1 / (row.map { $0 * $0 }.reduce(0, +) / Double(dim) + 1e-6).squareRoot()
            for i in 0..<dim { expected[i] += Double(probe.pointer[r * dim + i]) * row[i] * rstd }
        }
        XCTAssertLessThan(maxAbsDifference(dW, expected), 1e-3)
    }
}
