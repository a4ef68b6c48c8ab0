import NN
import Tensor
import XCTest

/// Layers allocate their activations once per batch shape: a second step with the same shape
/// must hand back the same storage.
final class BufferReuseTests: XCTestCase {
    func testAttentionMLPAndLossReuseTheirBuffers() throws {
        var rng = SeededGenerator(seed: 111)
        let attention = Attention(query: Linear(weight: randomTensor([8, 6], &rng)), key: Linear(weight: randomTensor([4, 6], &rng)),
                                  value: Linear(weight: randomTensor([4, 6], &rng)), output: Linear(weight: randomTensor([6, 8], &rng)),
                                  heads: 2, keyValueHeads: 1, headDimension: 4, causal: true,
                                  rotary: RotaryEmbedding(headDimension: 4, theta: 100))
        let mlp = SwiGLUMLP(gate: Linear(weight: randomTensor([10, 6], &rng)), up: Linear(weight: randomTensor([10, 6], &rng)),
                            down: Linear(weight: randomTensor([6, 10], &rng)))
        let norm = RMSNorm(weight: randomTensor([6], &rng), epsilon: 1e-5)
        let ce = SoftmaxCrossEntropy()
        func step(_ x: Tensor) throws -> [ObjectIdentifier] {
            let a = attention.forward(norm.forward(x))
            let m = mlp.forward(a)
            let loss = try ce(logits: m, labels: [0, 1, 2, -100, 4, 5])
            let dm = mlp.backward(loss.gradient)
            let da = attention.backward(dm)
            let dx = norm.backward(da)
            return [a, m, loss.gradient, dm, da, dx].map { ObjectIdentifier($0.storage) }
        }
        let first = try step(randomTensor([2, 3, 6], &rng))
        let second = try step(randomTensor([2, 3, 6], &rng))
        XCTAssertEqual(first, second)
    }
}
