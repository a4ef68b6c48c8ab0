import NN
import Tensor

/// One pre-norm Llama block, composed of NN layers:
/// `h = x + attention(inputNorm(x))`, `y = h + mlp(postAttentionNorm(h))`, the attention
/// with rotary positions, grouped key/value heads and a causal (optionally sliding-window)
/// mask, the MLP SwiGLU.
///
/// Each NN layer keeps what its backward needs; the block owns only its two residual sums.
public final class LlamaDecoderLayer {
    public let inputNorm: RMSNorm
    public let attention: Attention
    public let postAttentionNorm: RMSNorm
    public let mlp: SwiGLUMLP

    public var q: Linear { attention.query }
    public var k: Linear { attention.key }
    public var v: Linear { attention.value }
    public var o: Linear { attention.output }
    public var gate: Linear { mlp.gate }
    public var up: Linear { mlp.up }
    public var down: Linear { mlp.down }

    private var middle = ActivationBuffer()
    private var output = ActivationBuffer()
    private var middleGradient = ActivationBuffer()
    private var inputGradient = ActivationBuffer()

    init(inputNorm: RMSNorm, attention: Attention, postAttentionNorm: RMSNorm, mlp: SwiGLUMLP) {
        self.inputNorm = inputNorm
        self.attention = attention
        self.postAttentionNorm = postAttentionNorm
        self.mlp = mlp
    }

    /// Keeps the block's backward scratch in `pool` (see `BufferPool`).
    func shareBackwardBuffers(_ pool: BufferPool) {
        middleGradient = pool.buffer("block.dmiddle")
        inputGradient = pool.buffer("block.dx")
        inputNorm.shareBackwardBuffers(pool, as: "input_norm")
        attention.shareBackwardBuffers(pool, as: "attention")
        postAttentionNorm.shareBackwardBuffers(pool, as: "post_attention_norm")
        mlp.shareBackwardBuffers(pool, as: "mlp")
    }

    /// Writes the activations no backward reads (see `DroppableActivation`) to `pool`, which
    /// every block of the stack shares.
    func shareDroppedBuffers(_ pool: BufferPool) {
        inputNorm.shareDroppedBuffers(pool, as: "input_norm")
        attention.shareDroppedBuffers(pool, as: "attention")
        postAttentionNorm.shareDroppedBuffers(pool, as: "post_attention_norm")
        mlp.shareDroppedBuffers(pool, as: "mlp")
    }

    /// Keeps the block's internal activations in `pool` (gradient checkpointing, where every
    /// block shares one pool), or in buffers of its own when `pool` is nil. The block's output
    /// stays its own: it is the next block's input, which recomputation starts from.
    func shareForwardBuffers(_ pool: BufferPool?) {
        middle = pool.buffer("block.middle")
        inputNorm.shareForwardBuffers(pool, as: "input_norm")
        attention.shareForwardBuffers(pool, as: "attention")
        postAttentionNorm.shareForwardBuffers(pool, as: "post_attention_norm")
        mlp.shareForwardBuffers(pool, as: "mlp")
    }

    /// Every parameter of the block.
    public var parameters: [Parameter] {
        inputNorm.parameters + attention.parameters + postAttentionNorm.parameters + mlp.parameters
    }

    /// Training forward over `x` (`[batch, length, hidden]`); returns the block's output buffer.
    /// `attentionMask` (nil: every token is real) and `positions` as `Attention.forward` takes them.
    /// The normalised inputs are kept only where a projection's backward reads them, and the
    /// attention's and MLP's outputs not at all: they only feed the residual sums.
    func forward(_ x: Tensor, attentionMask: [Bool]?, positions: [Int]?) -> Tensor {
        let mid = middle.tensor(x.shape)
        let attentionInput = inputNorm.forward(x, keepOutput: attention.readsInputInBackward)
        Elementwise.add(x, attention.forward(attentionInput, attentionMask: attentionMask, positions: positions,
                                             keepOutput: false), into: mid)
        let y = output.tensor(x.shape)
        let mlpInput = postAttentionNorm.forward(mid, keepOutput: mlp.readsInputInBackward)
        Elementwise.add(mid, mlp.forward(mlpInput, keepOutput: false), into: y)
        return y
    }

    /// Inference forward of the segments' new tokens against a key/value cache (see `Attention`).
    func forward(_ x: Tensor, cache: KeyValueCache, segments: [CacheSegment]) -> Tensor {
        let mid = middle.tensor(x.shape)
        Elementwise.add(x, attention.forward(inputNorm.forward(x), cache: cache, segments: segments), into: mid)
        let y = output.tensor(x.shape)
        Elementwise.add(mid, mlp.forward(postAttentionNorm.forward(mid)), into: y)
        return y
    }

    /// Backward of the last training `forward`: returns `∂loss/∂x` in a buffer of the block,
    /// accumulating gradients of trainable parameters and adapters.
    func backward(_ dy: Tensor) -> Tensor {
        let dMid = middleGradient.tensor(dy.shape)
        Elementwise.add(dy, postAttentionNorm.backward(mlp.backward(dy)), into: dMid)
        let dx = inputGradient.tensor(dy.shape)
        Elementwise.add(dMid, inputNorm.backward(attention.backward(dMid)), into: dx)
        return dx
    }
}
