import Tensor
import XCTest
import NN

final class AdapterTests: XCTestCase {
    /// Naive Double y = x Wᵀ + s · x Aᵀ Mᵀ Bᵀ where M is R (LoRA-XS) or identity (LoRA).
    private func naive(x: Tensor, w: Tensor, b: Tensor, r: Tensor?, a: Tensor, s: Double) -> [Double] {
        let n = x.rows, inF = x.columns, outF = w.shape[0], k = a.shape[0]
        func at(_ t: Tensor, _ i: Int, _ j: Int) -> Double { Double(t.pointer[i * t.columns + j]) }
        var y = [Double](repeating: 0, count: n * outF)
        for row in 0..<n {
            var u = [Double](repeating: 0, count: k)
            for q in 0..<k { for c in 0..<inF { u[q] += at(x, row, c) * at(a, q, c) } }
            var v = u
            if let r = r {
                for p in 0..<k { v[p] = 0; for q in 0..<k { v[p] += at(r, p, q) * u[q] } }
            }
            for o in 0..<outF {
                var acc = 0.0
                for c in 0..<inF { acc += at(x, row, c) * at(w, o, c) }
                for p in 0..<k { acc += s * at(b, o, p) * v[p] }
                y[row * outF + o] = acc
            }
        }
        return y
    }

    func testLoRAXSForwardAndGradients() {
        var rng = SeededGenerator(seed: 11)
        let (n, inF, outF, k) = (5, 7, 6, 3)
        let x = randomTensor([n, inF], &rng)
        let layer = Linear(weight: randomTensor([outF, inF], &rng))
        let adapter = LoRAXSAdapter(b: randomTensor([outF, k], &rng), r: randomTensor([k, k], &rng),
                                    a: randomTensor([k, inF], &rng), scale: 0.75)
        layer.adapter = adapter
        let y = layer.forward(x)
        let expected = naive(x: x, w: layer.weight.value, b: adapter.b.value, r: adapter.r.value,
                             a: adapter.a.value, s: 0.75)
        XCTAssertLessThan(maxAbsDifference(y.array, expected), 1e-5)

        let probe = randomTensor([n, outF], &rng)
        let loss = { weightedSum(layer.forward(x), probe) }
        _ = layer.forward(x)
        let dx = layer.backward(probe).array
        XCTAssertNil(layer.weight.gradient)
        XCTAssertNil(adapter.b.gradient)
        XCTAssertNil(adapter.a.gradient)
        let dR = adapter.r.gradient?.array ?? []
        GradientCheck.assertClose("LoRA-XS dx", analytic: dx, tensor: x, loss: loss)
        GradientCheck.assertClose("LoRA-XS dR", analytic: dR, tensor: adapter.r.value, loss: loss)
    }

    func testLoRAXSWithAllFactorsTrainable() {
        var rng = SeededGenerator(seed: 12)
        let (n, inF, outF, k) = (4, 5, 3, 2)
        let x = randomTensor([n, inF], &rng)
        let layer = Linear(weight: randomTensor([outF, inF], &rng))
        let adapter = LoRAXSAdapter(b: randomTensor([outF, k], &rng), r: randomTensor([k, k], &rng),
                                    a: randomTensor([k, inF], &rng), scale: 1.5)
        adapter.b.isTrainable = true
        adapter.a.isTrainable = true
        layer.adapter = adapter
        let probe = randomTensor([n, outF], &rng)
        let loss = { weightedSum(layer.forward(x), probe) }
        _ = layer.forward(x)
        _ = layer.backward(probe)
        GradientCheck.assertClose("LoRA-XS dB", analytic: adapter.b.gradient?.array ?? [], tensor: adapter.b.value, loss: loss)
        GradientCheck.assertClose("LoRA-XS dA", analytic: adapter.a.gradient?.array ?? [], tensor: adapter.a.value, loss: loss)
        GradientCheck.assertClose("LoRA-XS dR (all trainable)", analytic: adapter.r.gradient?.array ?? [], tensor: adapter.r.value, loss: loss)
    }

    func testLoRAForwardAndGradients() {
        var rng = SeededGenerator(seed: 13)
        let (n, inF, outF, k) = (6, 5, 7, 2)
        let x = randomTensor([2, 3, inF], &rng)
        let layer = Linear(weight: randomTensor([outF, inF], &rng), bias: randomTensor([outF], &rng))
        let adapter = LoRAAdapter(b: randomTensor([outF, k], &rng), a: randomTensor([k, inF], &rng), scale: 2)
        layer.adapter = adapter
        let y = layer.forward(x)
        var expected = naive(x: x, w: layer.weight.value, b: adapter.b.value, r: nil,
                             a: adapter.a.value, s: 2)
        for row in 0..<n { for o in 0..<outF { expected[row * outF + o] += Double(layer.bias!.value.pointer[o]) } }
        XCTAssertLessThan(maxAbsDifference(y.array, expected), 1e-5)

        let probe = randomTensor([2, 3, outF], &rng)
        let loss = { weightedSum(layer.forward(x), probe) }
        _ = layer.forward(x)
        let dx = layer.backward(probe).array
        GradientCheck.assertClose("LoRA dx", analytic: dx, tensor: x, loss: loss)
        GradientCheck.assertClose("LoRA dB", analytic: adapter.b.gradient?.array ?? [], tensor: adapter.b.value, loss: loss)
        GradientCheck.assertClose("LoRA dA", analytic: adapter.a.gradient?.array ?? [], tensor: adapter.a.value, loss: loss)
    }
}
