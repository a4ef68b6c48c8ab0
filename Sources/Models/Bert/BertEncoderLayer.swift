import NN
import Tensor

/// One post-norm BERT block, composed of NN layers:
/// `h = LN(x + attention(x))`, `y = LN(h + mlp(h))`, the attention bidirectional with a
/// padding mask, the MLP `output(gelu(intermediate(h)))`.
///
/// Each NN layer keeps what its backward needs; the block owns only its two residual sums.
public final class BertEncoderLayer {
    public let attention: Attention
    public let attentionNorm: LayerNorm
    public let mlp: BertMLP
    public let outputNorm: LayerNorm

    public var query: Linear { attention.query }
    public var key: Linear { attention.key }
    public var value: Linear { attention.value }
    public var attentionOutput: Linear { attention.output }
    public var intermediate: Linear { mlp.intermediate }
    public var output: Linear { mlp.output }

    private var residual1 = ActivationBuffer(), residual2 = ActivationBuffer()
    private var hiddenGradient = ActivationBuffer(), inputGradient = ActivationBuffer()

    init(attention: Attention, attentionNorm: LayerNorm, mlp: BertMLP, outputNorm: LayerNorm) {
        self.attention = attention
        self.attentionNorm = attentionNorm
        self.mlp = mlp
        self.outputNorm = outputNorm
    }

    /// Keeps the block's backward scratch in `pool` (see `BufferPool`).
    func shareBackwardBuffers(_ pool: BufferPool) {
        hiddenGradient = pool.buffer("block.dhidden")
        inputGradient = pool.buffer("block.dx")
        attention.shareBackwardBuffers(pool, as: "attention")
        attentionNorm.shareBackwardBuffers(pool, as: "attention_norm")
        mlp.shareBackwardBuffers(pool, as: "mlp")
        outputNorm.shareBackwardBuffers(pool, as: "output_norm")
    }

    /// `x` `[batch, length, hidden]`; `attentionMask` nil when every token is real.
    func forward(_ x: Tensor, attentionMask: [Bool]?) -> Tensor {
        let r1 = residual1.tensor(x.shape)
        Elementwise.add(x, attention.forward(x, attentionMask: attentionMask), into: r1)
        let h = attentionNorm.forward(r1)
        let r2 = residual2.tensor(x.shape)
        Elementwise.add(h, mlp.forward(h), into: r2)
        return outputNorm.forward(r2)
    }

    /// Backward of the last `forward`: `∂loss/∂x` in a buffer of the block.
    func backward(_ dy: Tensor) -> Tensor {
        let dR2 = outputNorm.backward(dy)
        let dH = hiddenGradient.tensor(dy.shape)
        Elementwise.add(dR2, mlp.backward(dR2), into: dH)
        let dR1 = attentionNorm.backward(dH)
        let dx = inputGradient.tensor(dy.shape)
        Elementwise.add(dR1, attention.backward(dR1), into: dx)
        return dx
    }
}
