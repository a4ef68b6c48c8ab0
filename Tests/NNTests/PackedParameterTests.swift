import NN
import Tensor
import XCTest

/// Layers over a packed weight compute what they compute over the same values dense, and a
/// packed parameter turns dense exactly when something may write it.
final class PackedParameterTests: XCTestCase {
    /// A bf16 matrix and the fp32 tensor of the same (rounded) values.
    private func pair(_ shape: [Int], seed: UInt64) throws -> (BF16Matrix, Tensor) {
        try XCTSkipUnless(Gemm.bf16Supported, "BF16Matrix needs AVX-512 BF16")
        var rng = SeededGenerator(seed: seed)
        let packed = BF16Matrix(randomTensor(shape, &rng))
        return (packed, packed.floatTensor())
    }

    func testLinearOverAPackedWeightEqualsTheDenseLayer() throws {
        let (packed, dense) = try pair([29, 43], seed: 1)
        var rng = SeededGenerator(seed: 2)
        let bias = randomTensor([29], &rng)
        let a = Linear(weight: Parameter(packed: packed), bias: Parameter(bias))
        let b = Linear(weight: dense, bias: bias.copy())
        for rows in [1, 7, Linear.bf16MinimumRows + 3] {
            let x = randomTensor([rows, 43], &rng), dy = randomTensor([rows, 29], &rng)
            XCTAssertLessThan(maxAbsDifference(a.forward(x).array, b.forward(x).array.map(Double.init)), 1e-5)
            XCTAssertLessThan(maxAbsDifference(a.backward(dy).array, b.backward(dy).array.map(Double.init)), 1e-5)
            for layer in [a, b] { layer.productPrecision = .bf16 }
            XCTAssertLessThan(maxAbsDifference(a.forward(x).array, b.forward(x).array.map(Double.init)), 1e-5)
            XCTAssertLessThan(maxAbsDifference(a.backward(dy).array, b.backward(dy).array.map(Double.init)), 1e-5)
            for layer in [a, b] { layer.productPrecision = .fp32 }
        }
        XCTAssertNotNil(a.weight.packed, "products never unpack the weight")
    }

    func testEmbeddingGathersPackedRows() throws {
        let (packed, dense) = try pair([13, 7], seed: 3)
        let ids = [12, 0, 5, 5, 9]
        let y = try Embedding(weight: Parameter(packed: packed)).forward(ids)
        XCTAssertEqual(y.array, try Embedding(weight: dense).forward(ids).array)
    }

    func testTrainingMaterialisesAndHoldingFixedDoesNot() throws {
        let (packed, dense) = try pair([5, 6], seed: 4)
        let p = Parameter(packed: packed)
        XCTAssertEqual(p.shape, [5, 6])
        XCTAssertEqual(p.byteCount, 5 * 6 * 2)
        XCTAssertNil(p.dense)
        // Writing into a packed parameter's value changes nothing: it is a fresh copy.
        p.value.fill(7)
        XCTAssertEqual(p.value.array, dense.array)

        // A gradient estimate (held fixed, then trainable) keeps it packed.
        p.isHeldFixed = true
        p.isTrainable = true
        XCTAssertNotNil(p.packed)
        XCTAssertEqual(p.gradientForAccumulation().shape, [5, 6])
        p.isTrainable = false
        p.isHeldFixed = false
        XCTAssertNotNil(p.packed)

        // Trainable and free to change: dense fp32, the same values, written in place from now on.
        p.isTrainable = true
        let t = try XCTUnwrap(p.dense)
        XCTAssertNil(p.packed)
        XCTAssertEqual(t.array, dense.array)
        XCTAssertEqual(p.byteCount, 5 * 6 * 4)
        p.value.fill(3)
        XCTAssertEqual(p.value.array, [Float](repeating: 3, count: 30))
    }

    func testAssigningAValueMakesAPackedParameterDense() throws {
        let (packed, _) = try pair([2, 3], seed: 5)
        let p = Parameter(packed: packed)
        let replacement = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        p.value = replacement
        XCTAssertNil(p.packed)
        XCTAssertEqual(p.value.array, replacement.array)
    }
}
