import Foundation
import NN
import Tensor
import XCTest

final class FeedForwardTests: XCTestCase {
    func testGELUMatchesErfFormulaAndGradient() {
        var rng = SeededGenerator(seed: 61)
        let x = randomTensor([3, 37], scale: 4, &rng), probe = randomTensor([3, 37], &rng)
        let gelu = GELU()
        let y = gelu.forward(x)
        let expected = x.array.map { v -> Double in let d = Double(v); return 0.5 * d * (1 + erf(d / 2.0.squareRoot())) }
        XCTAssertLessThan(maxAbsDifference(y.array, expected), 1e-6)
        XCTAssertEqual(gelu.forward(Tensor(shape: [1], values: [-12])).array, [0])
        _ = gelu.forward(x)
        let loss = { weightedSum(gelu.forward(x), probe) }
        _ = gelu.forward(x)
        GradientCheck.assertClose("GELU dx", analytic: gelu.backward(probe).array, tensor: x, loss: loss)
    }

    func testTanhGELUMatchesFormulaAndGradient() {
        var rng = SeededGenerator(seed: 65)
        let x = randomTensor([2, 37], scale: 6, &rng), probe = randomTensor([2, 37], &rng)
        let gelu = GELU(approximation: .tanh)
        let y = gelu.forward(x)
        let expected = x.array.map { v -> Double in
            let d = Double(v)
            return 0.5 * d * (1 + tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)))
        }
        XCTAssertLessThan(maxAbsDifference(y.array, expected), 1e-6)
        let loss = { weightedSum(gelu.forward(x), probe) }
        _ = gelu.forward(x)
        GradientCheck.assertClose("tanh GELU dx", analytic: gelu.backward(probe).array, tensor: x, loss: loss)
    }

    func testSiLUMatchesFormulaAndGradient() {
        var rng = SeededGenerator(seed: 62)
        // 37 per row: SIMD blocks plus scalar tails; values reach the saturated regions.
        let x = randomTensor([3, 37], scale: 12, &rng), probe = randomTensor([3, 37], &rng)
        let silu = SiLU()
        let y = silu.forward(x)
        let expected = x.array.map { v -> Double in let d = Double(v); return d / (1 + exp(-d)) }
        XCTAssertLessThan(maxAbsDifference(y.array, expected), 1e-5)
        let loss = { weightedSum(silu.forward(x), probe) }
        _ = silu.forward(x)
        GradientCheck.assertClose("SiLU dx", analytic: silu.backward(probe).array, tensor: x, loss: loss)
    }

    func testSwiGLUForwardAndGradients() {
        var rng = SeededGenerator(seed: 63)
        let (dim, hidden) = (7, 11)
        let mlp = SwiGLUMLP(gate: Linear(weight: randomTensor([hidden, dim], &rng), trainable: true),
                            up: Linear(weight: randomTensor([hidden, dim], &rng), trainable: true),
                            down: Linear(weight: randomTensor([dim, hidden], &rng), trainable: true))
        let x = randomTensor([2, 3, dim], &rng), probe = randomTensor([2, 3, dim], &rng)
        let y = mlp.forward(x)
        let xs = x.array.map(Double.init)
        let g = Naive.linear(xs, rows: 6, mlp.gate.weight.value, nil)
        let u = Naive.linear(xs, rows: 6, mlp.up.weight.value, nil)
        let h = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
        XCTAssertLessThan(maxAbsDifference(y.array, Naive.linear(h, rows: 6, mlp.down.weight.value, nil)), 1e-5)
        let loss = { weightedSum(mlp.forward(x), probe) }
        _ = mlp.forward(x)
        let dx = mlp.backward(probe).array
        GradientCheck.assertClose("SwiGLU dx", analytic: dx, tensor: x, loss: loss)
        for (name, l) in [("gate", mlp.gate), ("up", mlp.up), ("down", mlp.down)] {
            GradientCheck.assertClose("SwiGLU W\(name)", analytic: l.weight.gradient?.array ?? [], tensor: l.weight.value, loss: loss)
        }
    }

    func testBertMLPForwardAndGradients() {
        var rng = SeededGenerator(seed: 64)
        let (dim, hidden) = (5, 9)
        let mlp = BertMLP(intermediate: Linear(weight: randomTensor([hidden, dim], &rng), bias: randomTensor([hidden], &rng), trainable: true),
                          output: Linear(weight: randomTensor([dim, hidden], &rng), bias: randomTensor([dim], &rng), trainable: true))
        let x = randomTensor([4, dim], &rng), probe = randomTensor([4, dim], &rng)
        let y = mlp.forward(x)
        let a = Naive.linear(x.array.map(Double.init), rows: 4, mlp.intermediate.weight.value, mlp.intermediate.bias?.value)
        let h = a.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        XCTAssertLessThan(maxAbsDifference(y.array, Naive.linear(h, rows: 4, mlp.output.weight.value, mlp.output.bias?.value)), 1e-5)
        let loss = { weightedSum(mlp.forward(x), probe) }
        _ = mlp.forward(x)
        let dx = mlp.backward(probe).array
        GradientCheck.assertClose("BERT MLP dx", analytic: dx, tensor: x, loss: loss)
        for p in mlp.parameters {
            GradientCheck.assertClose("BERT MLP \(p.shape)", analytic: p.gradient?.array ?? [], tensor: p.value, loss: loss)
        }
    }
}

final class TanhAndDropoutTests: XCTestCase {
    func testTanhMatchesFoundationAndGradient() {
        var rng = SeededGenerator(seed: 66)
        let x = randomTensor([3, 37], scale: 10, &rng), probe = randomTensor([3, 37], &rng)
        let layer = Tanh()
        let y = layer.forward(x)
        XCTAssertLessThan(maxAbsDifference(y.array, x.array.map { tanh(Double($0)) }), 2e-7)
        let loss = { weightedSum(layer.forward(x), probe) }
        _ = layer.forward(x)
        GradientCheck.assertClose("tanh dx", analytic: layer.backward(probe).array, tensor: x, loss: loss)
    }

    func testDropoutKeepsExpectedFractionAndScales() {
        var rng = SeededGenerator(seed: 67)
        let x = randomTensor([200, 101], &rng)
        let dropout = Dropout(probability: 0.25, seed: 5)
        let y = dropout.forward(x, training: true)
        var dropped = 0
        for i in 0..<x.count {
            if y.pointer[i] == 0 { dropped += 1 } else {
                XCTAssertEqual(y.pointer[i], x.pointer[i] / 0.75, accuracy: 1e-6)
            }
        }
        let fraction = Double(dropped) / Double(x.count)
        XCTAssertEqual(fraction, 0.25, accuracy: 0.01)
        // Backward applies the same mask.
        let dy = randomTensor([200, 101], &rng)
        let dx = dropout.backward(dy)
        for i in 0..<x.count {
            XCTAssertEqual(dx.pointer[i], y.pointer[i] == 0 ? 0 : dy.pointer[i] / 0.75, accuracy: 1e-6)
        }
        // Evaluation is the identity; the stream is reproducible from the seed.
        XCTAssertTrue(dropout.forward(x, training: false).storage === x.storage)
        let again = Dropout(probability: 0.25, seed: 5).forward(x, training: true)
        XCTAssertEqual(again.array, y.array)
        let other = Dropout(probability: 0.25, seed: 6).forward(x, training: true)
        XCTAssertNotEqual(other.array, y.array)
    }
}
