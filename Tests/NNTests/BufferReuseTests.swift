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

    /// Buffers of one name in a pool share storage (and grow together); other names and other
    /// pools do not.
    func testPoolBuffersShareStorageByName() {
        let pool = BufferPool(), other = BufferPool()
        var a = pool.buffer("dx"), b = pool.buffer("dx"), c = pool.buffer("dq"), d = other.buffer("dx")
        let ta = a.tensor([4, 8])
        XCTAssertEqual(b.capacity, 32)
        XCTAssertTrue(b.tensor([2, 8]).storage === ta.storage)
        let grown = b.tensor([8, 8])   // grows the shared storage: a sees it too
        XCTAssertTrue(a.tensor([4, 8]).storage === grown.storage)
        XCTAssertFalse(c.tensor([4, 8]).storage === grown.storage)
        XCTAssertFalse(d.tensor([4, 8]).storage === grown.storage)
    }

    /// A stack of three blocks whose backward scratch alternates between two pools (blocks 0
    /// and 2 share, as `LlamaModel`'s do) gives exactly the gradients of blocks that own theirs.
    func testAlternatingPoolsKeepTheGradientsOfAStack() {
        var rng = SeededGenerator(seed: 112)
        let blocks = (0..<3).map { _ in
            SwiGLUMLP(gate: Linear(weight: randomTensor([10, 6], &rng), trainable: true),
                      up: Linear(weight: randomTensor([10, 6], &rng), trainable: true),
                      down: Linear(weight: randomTensor([6, 10], &rng), trainable: true))
        }
        let x = randomTensor([5, 6], &rng), probe = randomTensor([5, 6], &rng)
        func gradients() -> [Float] {
            for b in blocks { for p in b.parameters { p.zeroGradient() } }
            var h = x
            for b in blocks { h = b.forward(h) }
            var d = probe
            for b in blocks.reversed() { d = b.backward(d) }
            return d.array + blocks.flatMap { $0.parameters.flatMap { $0.gradient?.array ?? [] } }
        }
        let separate = gradients()
        BufferPool.shareAlternately(blocks) { $0.shareBackwardBuffers($1, as: "mlp") }
        XCTAssertEqual(gradients(), separate)
    }
}
