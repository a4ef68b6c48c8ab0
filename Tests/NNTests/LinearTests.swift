import Tensor
import XCTest
import NN

final class LinearTests: XCTestCase {
    /// y = x Wᵀ + b computed naively in Double.
    private func naiveLinear(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> [Double] {
        let n = x.rows, i = x.columns, o = w.shape[0]
        var y = [Double](repeating: 0, count: n * o)
        for r in 0..<n {
            for j in 0..<o {
                var s = b.map { Double($0.pointer[j]) } ?? 0
                for k in 0..<i { s += Double(x.pointer[r * i + k]) * Double(w.pointer[j * i + k]) }
                y[r * o + j] = s
            }
        }
        return y
    }

    func testForwardMatchesNaiveProduct() {
        var rng = SeededGenerator(seed: 1)
        let x = randomTensor([2, 3, 5], &rng), w = randomTensor([7, 5], &rng), b = randomTensor([7], &rng)
        let layer = Linear(weight: w, bias: b)
        let y = layer.forward(x)
        XCTAssertEqual(y.shape, [2, 3, 7])
        XCTAssertLessThan(maxAbsDifference(y.array, naiveLinear(x, w, b)), 1e-5)
    }

    func testGradientsOfInputWeightAndBias() {
        var rng = SeededGenerator(seed: 2)
        let x = randomTensor([2, 3, 5], &rng)
        let layer = Linear(weight: randomTensor([7, 5], &rng), bias: randomTensor([7], &rng), trainable: true)
        let probe = randomTensor([2, 3, 7], &rng)
        let loss = { weightedSum(layer.forward(x), probe) }
        _ = layer.forward(x)
        let dx = layer.backward(probe).array
        let dW = layer.weight.gradient?.array ?? [], db = layer.bias?.gradient?.array ?? []
        GradientCheck.assertClose("Linear dx", analytic: dx, tensor: x, loss: loss)
        GradientCheck.assertClose("Linear dW", analytic: dW, tensor: layer.weight.value, loss: loss)
        GradientCheck.assertClose("Linear db", analytic: db, tensor: layer.bias!.value, loss: loss)
    }

    func testGradientsAccumulateAcrossBackwardCalls() {
        var rng = SeededGenerator(seed: 3)
        let x = randomTensor([4, 3], &rng), probe = randomTensor([4, 2], &rng)
        let layer = Linear(weight: randomTensor([2, 3], &rng), trainable: true)
        _ = layer.forward(x); _ = layer.backward(probe)
        let once = layer.weight.gradient?.array ?? []
        _ = layer.forward(x); _ = layer.backward(probe)
        let twice = layer.weight.gradient?.array ?? []
        XCTAssertEqual(once.count, 6)
        for i in 0..<6 { XCTAssertEqual(twice[i], 2 * once[i], accuracy: 1e-5) }
        layer.weight.zeroGradient()
        XCTAssertEqual(layer.weight.gradient?.array, [Float](repeating: 0, count: 6))
    }

    func testFrozenWeightProducesNoWeightGradient() {
        var rng = SeededGenerator(seed: 4)
        let x = randomTensor([3, 6], &rng), probe = randomTensor([3, 4], &rng)
        let layer = Linear(weight: randomTensor([4, 6], &rng), bias: randomTensor([4], &rng), trainable: false)
        let loss = { weightedSum(layer.forward(x), probe) }
        _ = layer.forward(x)
        let dx = layer.backward(probe).array
        XCTAssertNil(layer.weight.gradient, "a frozen weight must not get a gradient buffer")
        XCTAssertNil(layer.bias?.gradient)
        GradientCheck.assertClose("frozen Linear dx", analytic: dx, tensor: x, loss: loss)
    }

    /// bf16 products run only while the weight cannot change: a frozen weight, or a trainable
    /// one held fixed (whose gradient is then a bf16 product as well); a weight an optimizer may
    /// change multiplies in fp32.
    func testBF16ProductsRunOnlyWhileTheWeightCannotChange() throws {
        try XCTSkipUnless(Gemm.bf16Supported, "this CPU has no AVX-512 BF16")
        var rng = SeededGenerator(seed: 9)
        let rows = Linear.bf16MinimumRows * 2
        let x = randomTensor([rows, 40], &rng), probe = randomTensor([rows, 24], &rng)
        let layer = Linear(weight: randomTensor([24, 40], &rng))
        layer.productPrecision = .bf16
        let bf16Forward = layer.forward(x).array
        XCTAssertGreaterThan(maxAbsDifference(bf16Forward, naiveLinear(x, layer.weight.value, nil)), 1e-4)

        // Trainable and held fixed: bf16 products, the gradient included.
        layer.weight.isTrainable = true
        layer.weight.isHeldFixed = true
        XCTAssertEqual(layer.forward(x).array, bf16Forward)
        _ = layer.backward(probe)
        let expected = Tensor(zeros: [24, 40])
        Gemm.bf16TransposedProduct(m: 24, n: 40, k: rows, a: probe.pointer, lda: 24, b: x.pointer, ldb: 40,
                                   c: expected.pointer, ldc: 40)
        XCTAssertEqual(layer.weight.gradient?.array, expected.array)

        // Trainable and free to change (an optimizer step): fp32 products of the current weight.
        layer.weight.isHeldFixed = false
        Elementwise.scale(layer.weight.value, by: 2, into: layer.weight.value)
        XCTAssertLessThan(maxAbsDifference(layer.forward(x).array, naiveLinear(x, layer.weight.value, nil)), 1e-4)
    }

    func testBackwardAddingIntoAccumulates() {
        var rng = SeededGenerator(seed: 5)
        let x = randomTensor([3, 4], &rng), probe = randomTensor([3, 5], &rng)
        let layer = Linear(weight: randomTensor([5, 4], &rng))
        _ = layer.forward(x)
        let dx = layer.backward(probe).copy()
        let sum = Tensor(shape: [3, 4], repeating: 1)
        layer.backward(probe, addingInto: sum)
        for i in 0..<12 { XCTAssertEqual(sum.pointer[i], dx.pointer[i] + 1, accuracy: 1e-5) }
    }

    func testBuffersAreReusedForTheSameShape() {
        var rng = SeededGenerator(seed: 6)
        let layer = Linear(weight: randomTensor([5, 4], &rng))
        let y1 = layer.forward(randomTensor([3, 4], &rng))
        let y2 = layer.forward(randomTensor([3, 4], &rng))
        XCTAssertTrue(y1.storage === y2.storage, "same batch shape must reuse the output buffer")
        let y3 = layer.forward(randomTensor([2, 4], &rng))
        XCTAssertTrue(y1.storage === y3.storage, "a smaller batch fits in the same buffer")
    }
}
