import Foundation
import NN
import Tensor
import XCTest

final class LossTests: XCTestCase {
    func testCrossEntropyWithIgnoredLabelsMatchesNaive() throws {
        var rng = SeededGenerator(seed: 71)
        let logits = randomTensor([6, 37], scale: 5, &rng)
        let labels = [3, -100, 36, 0, -100, 17]
        let ce = SoftmaxCrossEntropy()
        let result = try ce(logits: logits, labels: labels)
        XCTAssertEqual(result.countedRows, 4)
        XCTAssertEqual(Double(result.loss), Naive.crossEntropy(logits, labels), accuracy: 1e-5)
        // Gradient: zero rows where ignored, and matches finite differences of the naive loss.
        for r in [1, 4] { for c in 0..<37 { XCTAssertEqual(result.gradient.pointer[r * 37 + c], 0) } }
        let grad = result.gradient.array
        GradientCheck.assertClose("cross-entropy dlogits", analytic: grad, tensor: logits) {
            Naive.crossEntropy(logits, labels)
        }
    }

    func testCrossEntropyIsStableForLargeLogitsAndCanOverwrite() throws {
        let logits = Tensor(shape: [2, 3], values: [1000, 0, -1000, 50, 50, 50])
        let ce = SoftmaxCrossEntropy()
        let result = try ce(logits: logits, labels: [1, 2], overwritingLogits: true)
        XCTAssertEqual(Double(result.loss), (1000 + log(3)) / 2, accuracy: 1e-3)
        XCTAssertTrue(result.gradient.storage === logits.storage)
        XCTAssertEqual(result.gradient.array[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(result.gradient.array[1], -0.5, accuracy: 1e-6)
        XCTAssertEqual(result.gradient.array[5], (1.0 / 3 - 1) / 2, accuracy: 1e-6)
    }

    func testCrossEntropyCustomNormalizerAndAllIgnored() throws {
        var rng = SeededGenerator(seed: 72)
        let logits = randomTensor([3, 5], &rng)
        let ce = SoftmaxCrossEntropy()
        let mean = try ce(logits: logits, labels: [1, 2, 3]).loss
        let perSample = try ce(logits: logits, labels: [1, 2, 3], normalizer: 1).loss
        XCTAssertEqual(perSample, 3 * mean, accuracy: 1e-5)
        let none = try ce(logits: logits, labels: [-100, -100, -100])
        XCTAssertEqual(none.loss, 0)
        XCTAssertEqual(none.countedRows, 0)
        XCTAssertTrue(none.gradient.array.allSatisfy { $0 == 0 })
    }

    func testCrossEntropyRejectsBadLabels() {
        let ce = SoftmaxCrossEntropy()
        let logits = Tensor(zeros: [2, 4])
        XCTAssertThrowsError(try ce(logits: logits, labels: [0, 4])) { error in
            XCTAssertEqual(error as? NNError, .labelOutOfRange(label: 4, position: 1, classes: 4))
        }
        XCTAssertThrowsError(try ce(logits: logits, labels: [0, -1]))
        XCTAssertThrowsError(try ce(logits: logits, labels: [0]))
    }

    func testMeanSquaredError() throws {
        var rng = SeededGenerator(seed: 73)
        let predictions = randomTensor([5, 1], &rng)
        let targets: [Float] = [0.5, -1, 2, 0, 3]
        let mse = MeanSquaredError()
        let result = try mse(predictions: predictions, targets: targets)
        let naive = { (0..<5).reduce(0.0) { $0 + pow(Double(predictions.pointer[$1]) - Double(targets[$1]), 2) } / 5 }
        XCTAssertEqual(Double(result.loss), naive(), accuracy: 1e-6)
        GradientCheck.assertClose("MSE dpredictions", analytic: result.gradient.array, tensor: predictions, loss: naive)
        XCTAssertThrowsError(try mse(predictions: predictions, targets: [1, 2]))
    }
}
