import NN
import Tensor
import XCTest

/// A two-block Llama-style decoder assembled from the layers:
/// embedding → [RMSNorm → attention (GQA, RoPE, causal + padding) → residual →
/// RMSNorm → SwiGLU → residual] × 2 → RMSNorm → tied output projection.
private final class TinyDecoder {
    struct Block {
        let attentionNorm: RMSNorm
        let attention: Attention
        let mlpNorm: RMSNorm
        let mlp: SwiGLUMLP
    }

    let embedding: Embedding
    let blocks: [Block]
    let finalNorm: RMSNorm
    let head: Linear
    var residuals: [Tensor] = []

    init(vocabulary: Int, dim: Int, heads: Int, kvHeads: Int, headDim: Int, hidden: Int, layers: Int,
         _ rng: inout SeededGenerator) {
        embedding = Embedding(weight: randomTensor([vocabulary, dim], &rng))
        let rope = RotaryEmbedding(headDimension: headDim, theta: 10_000)
        func weight(_ out: Int, _ inp: Int) -> Tensor { randomTensor([out, inp], scale: 1 / Float(inp).squareRoot() * 1.7, &rng) }
        func norm() -> RMSNorm {
            RMSNorm(weight: Tensor(shape: [dim], values: (0..<dim).map { _ in Float.random(in: 0.8...1.2, using: &rng) }), epsilon: 1e-5)
        }
        var built: [Block] = []
        for _ in 0..<layers {
            let attention = Attention(query: Linear(weight: weight(heads * headDim, dim)),
                                      key: Linear(weight: weight(kvHeads * headDim, dim)),
                                      value: Linear(weight: weight(kvHeads * headDim, dim)),
                                      output: Linear(weight: weight(dim, heads * headDim)),
                                      heads: heads, keyValueHeads: kvHeads, headDimension: headDim,
                                      causal: true, rotary: rope)
            let mlp = SwiGLUMLP(gate: Linear(weight: weight(hidden, dim)), up: Linear(weight: weight(hidden, dim)),
                                down: Linear(weight: weight(dim, hidden)))
            built.append(Block(attentionNorm: norm(), attention: attention, mlpNorm: norm(), mlp: mlp))
        }
        blocks = built
        finalNorm = norm()
        head = Linear(weight: embedding.weight)   // tied
    }

    /// Logits `[batch, seq, vocabulary]` from input embeddings `[batch, seq, dim]`.
    func forward(embedded x: Tensor, mask: [Bool]) -> Tensor {
        residuals = []
        var h = x
        for block in blocks {
            let afterAttention = h.copy()
            Elementwise.axpy(1, block.attention.forward(block.attentionNorm.forward(h), attentionMask: mask), afterAttention)
            let afterMLP = afterAttention.copy()
            Elementwise.axpy(1, block.mlp.forward(block.mlpNorm.forward(afterAttention)), afterMLP)
            residuals += [afterAttention, afterMLP]
            h = afterMLP
        }
        return head.forward(finalNorm.forward(h))
    }

    /// Gradient with respect to the input embeddings.
    func backward(_ dlogits: Tensor) -> Tensor {
        var dh = finalNorm.backward(head.backward(dlogits)).copy()
        for block in blocks.reversed() {
            let dAfterAttention = dh.copy()
            Elementwise.axpy(1, block.mlpNorm.backward(block.mlp.backward(dh)), dAfterAttention)
            let dInput = dAfterAttention.copy()
            Elementwise.axpy(1, block.attentionNorm.backward(block.attention.backward(dAfterAttention)), dInput)
            dh = dInput
        }
        return dh
    }
}

final class DecoderStackTests: XCTestCase {
    private let (batch, seq, vocabulary, dim) = (2, 5, 13, 8)
    // Sequence 1 has one pad at the end.
    private let mask = [true, true, true, true, true, true, true, true, true, false]
    private let ids = [1, 5, 12, 7, 3, 9, 0, 4, 11, 2]

    /// Next-token labels: position t predicts ids[t+1]; the last position and pads are ignored.
    private var labels: [Int] {
        (0..<(batch * seq)).map { t in
            let s = t % seq
            if s == seq - 1 || !mask[t] || !mask[t + 1] { return SoftmaxCrossEntropy.ignoreIndex }
            return ids[t + 1]
        }
    }

    func testEndToEndGradientsWithRespectToEmbeddingsAndAdapter() throws {
        var rng = SeededGenerator(seed: 91)
        let model = TinyDecoder(vocabulary: vocabulary, dim: dim, heads: 4, kvHeads: 2, headDim: 4, hidden: 12, layers: 2, &rng)
        // LoRA-XS adapters on the first block's query and the second block's down projection.
        let adapterQ = LoRAXSAdapter(b: randomTensor([16, 3], &rng), r: randomTensor([3, 3], &rng), a: randomTensor([3, dim], &rng))
        let adapterDown = LoRAXSAdapter(b: randomTensor([dim, 3], scale: 0.5, &rng), r: randomTensor([3, 3], &rng),
                                        a: randomTensor([3, 12], scale: 0.5, &rng))
        model.blocks[0].attention.query.adapter = adapterQ
        model.blocks[1].mlp.down.adapter = adapterDown
        let x = try model.embedding.forward(ids, shape: [batch, seq]).copy()
        let labels = self.labels
        let ce = SoftmaxCrossEntropy()

        let logits = model.forward(embedded: x, mask: mask)
        let result = try ce(logits: logits, labels: labels)
        XCTAssertEqual(Double(result.loss), Naive.crossEntropy(logits, labels), accuracy: 1e-5)
        let dx = model.backward(result.gradient).array
        let dRq = adapterQ.r.gradient?.array ?? [], dRdown = adapterDown.r.gradient?.array ?? []
        // Only adapter cores were trainable.
        XCTAssertNil(model.embedding.weight.gradient)
        XCTAssertNil(model.blocks[0].attention.query.weight.gradient)

        // The finite differences differentiate a Double cross-entropy of the fp32 logits.
        let loss = { Naive.crossEntropy(model.forward(embedded: x, mask: self.mask), labels) }
        // Two blocks compound the curvature: at step 1/32 the O(h⁴) truncation reaches 3e-3,
        // at 1/128 truncation and fp32 noise are both near 1e-5 (below that, noise grows).
        let step: Float = 1.0 / 128
        GradientCheck.assertClose("decoder stack d(input embeddings)", analytic: dx, tensor: x, step: step, loss: loss)
        GradientCheck.assertClose("decoder stack dR (block 0 query)", analytic: dRq, tensor: adapterQ.r.value, step: step, loss: loss)
        GradientCheck.assertClose("decoder stack dR (block 1 down)", analytic: dRdown, tensor: adapterDown.r.value, step: step, loss: loss)
        // The padded token's embedding has no influence on the loss.
        for c in 0..<dim { XCTAssertEqual(dx[9 * dim + c], 0) }
    }

    func testTiedEmbeddingCollectsBothGradients() throws {
        var rng = SeededGenerator(seed: 92)
        let model = TinyDecoder(vocabulary: vocabulary, dim: dim, heads: 2, kvHeads: 1, headDim: 4, hidden: 10, layers: 2, &rng)
        model.embedding.weight.isTrainable = true
        let labels = self.labels
        let ce = SoftmaxCrossEntropy()
        let logits = model.forward(embedded: try model.embedding.forward(ids, shape: [batch, seq]), mask: mask)
        let dx = model.backward(try ce(logits: logits, labels: labels).gradient)
        model.embedding.backward(dx)
        let dTable = model.embedding.weight.gradient?.array ?? []
        let loss = { () -> Double in
            guard let embedded = try? model.embedding.forward(self.ids, shape: [self.batch, self.seq]) else { return .nan }
            return Naive.crossEntropy(model.forward(embedded: embedded.copy(), mask: self.mask), labels)
        }
        // Table entries enter twice (input and output side); the step is the stack's (see above).
        GradientCheck.assertClose("decoder stack d(tied embedding table)", analytic: dTable,
                                  tensor: model.embedding.weight.value, step: 1.0 / 128, loss: loss)
    }
}
