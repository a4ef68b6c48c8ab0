import Tensor
import XCTest
import NN

final class EmbeddingTests: XCTestCase {
    func testGatherAndScatterAdd() throws {
        var rng = SeededGenerator(seed: 31)
        let table = randomTensor([11, 5], &rng)
        let embedding = Embedding(weight: table, trainable: true)
        let ids = [3, 0, 10, 3, 7, 3]
        let y = try embedding.forward(ids, shape: [2, 3])
        XCTAssertEqual(y.shape, [2, 3, 5])
        for (r, id) in ids.enumerated() {
            for c in 0..<5 { XCTAssertEqual(y.pointer[r * 5 + c], table.pointer[id * 5 + c]) }
        }
        let probe = randomTensor([2, 3, 5], &rng)
        let loss = { weightedSum((try? embedding.forward(ids, shape: [2, 3])) ?? Tensor(zeros: [30]), probe) }
        embedding.backward(probe)
        let dW = embedding.weight.gradient?.array ?? []
        // Repeated id 3 collects three rows; untouched ids stay zero.
        for c in 0..<5 { XCTAssertEqual(dW[1 * 5 + c], 0) }
        GradientCheck.assertClose("Embedding dW", analytic: dW, tensor: embedding.weight.value, loss: loss)
    }

    func testFrozenTableGetsNoGradient() throws {
        var rng = SeededGenerator(seed: 32)
        let embedding = Embedding(weight: randomTensor([4, 3], &rng))
        _ = try embedding.forward([1, 2])
        embedding.backward(randomTensor([2, 3], &rng))
        XCTAssertNil(embedding.weight.gradient)
    }

    func testOutOfRangeIdsThrow() {
        let embedding = Embedding(weight: Tensor(zeros: [4, 3]))
        XCTAssertThrowsError(try embedding.forward([1, 4])) { error in
            XCTAssertEqual(error as? NNError, .tokenOutOfRange(id: 4, position: 1, vocabularySize: 4))
        }
        XCTAssertThrowsError(try embedding.forward([-1]))
        XCTAssertThrowsError(try embedding.forward([1, 2, 3], shape: [2, 2]))
    }
}
