import NN
import Tensor

/// One pre-norm Llama block: `h = x + o(attn(rope(q), rope(k), v))`,
/// `y = h + down(silu(gate(n2)) ⊙ up(n2))`, with RMSNorm before each half.
///
/// Forward keeps every activation backward needs in buffers the layer owns; they are sized by
/// the batch shape and reused across steps.
public final class LlamaDecoderLayer {
    public let inputNorm: RMSNorm
    public let postAttentionNorm: RMSNorm
    public let q: Linear, k: Linear, v: Linear, o: Linear
    public let gate: Linear, up: Linear, down: Linear
    let heads: Int, kvHeads: Int, headDim: Int
    let slidingWindow: Int?

    private var probabilities = ReusableBuffer()
    private var attention = ReusableBuffer()
    private var activated = ReusableBuffer()
    private var gateValues = ReusableBuffer(), upValues = ReusableBuffer()
    private var middle = ReusableBuffer()
    private var output = ReusableBuffer()
    private var lastGeometry: AttentionGeometry?
    private var queries: Tensor?, keys: Tensor?, values: Tensor?

    init(inputNorm: RMSNorm, postAttentionNorm: RMSNorm, q: Linear, k: Linear, v: Linear,
         o: Linear, gate: Linear, up: Linear, down: Linear, config: DecoderConfig) {
        self.inputNorm = inputNorm
        self.postAttentionNorm = postAttentionNorm
        self.q = q; self.k = k; self.v = v; self.o = o
        self.gate = gate; self.up = up; self.down = down
        heads = config.headCount
        kvHeads = config.kvHeadCount
        headDim = config.headDim
        slidingWindow = config.slidingWindow
    }

    /// Every parameter of the block.
    public var parameters: [Parameter] {
        [inputNorm, postAttentionNorm].flatMap(\.parameters)
            + [q, k, v, o, gate, up, down].flatMap(\.parameters)
    }

    func geometry(batch: Int, length: Int) -> AttentionGeometry {
        AttentionGeometry(batch: batch, queries: length, keys: length, keyStride: length,
                          queryOffset: 0, heads: heads, kvHeads: kvHeads, headDim: headDim,
                          causal: true, window: slidingWindow)
    }

    /// Training forward over `x` (`[batch·length, hidden]`); returns the block's output buffer.
    func forward(_ x: Tensor, batch: Int, length: Int, positions: [Int32], keyMask: [Float],
                 rope: RotaryEmbedding) -> Tensor {
        let n = x.rows, hidden = x.columns
        let g = geometry(batch: batch, length: length)
        let h1 = inputNorm.forward(x)
        let qs = q.forward(h1), ks = k.forward(h1), vs = v.forward(h1)
        rope.apply(qs, heads: heads, positions: positions)
        rope.apply(ks, heads: kvHeads, positions: positions)
        let p = probabilities.tensor([g.probabilityCount])
        let a = attention.tensor([n, heads * headDim])
        precondition(keyMask.count == batch * length, "one mask value per token")
        keyMask.withUnsafeBufferPointer { mb in
            guard let m = mb.baseAddress else { return }
            AttentionKernel.forward(g, q: qs.pointer, k: ks.pointer, v: vs.pointer,
                                    keyMask: m, probabilities: p.pointer, out: a.pointer)
        }
        queries = qs; keys = ks; values = vs; lastGeometry = g
        let mid = middle.tensor([n, hidden])
        mid.assignSum(x, o.forward(a))
        let h2 = postAttentionNorm.forward(mid)
        // The projections' outputs are their own buffers; keep copies for SwiGLU's backward.
        let gs = gateValues.tensor([n, gate.outFeatures]), us = upValues.tensor([n, up.outFeatures])
        gs.copy(from: gate.forward(h2))
        us.copy(from: up.forward(h2))
        let act = activated.tensor(gs.shape)
        Activation.swiGLU(gate: gs, up: us, into: act)
        let y = output.tensor([n, hidden])
        y.assignSum(mid, down.forward(act))
        return y
    }

    /// Backward of the last `forward`: returns `∂loss/∂x` in `inputGradient` (may alias
    /// `outputGradient`), accumulating gradients of trainable parameters.
    func backward(_ dy: Tensor, rope: RotaryEmbedding, positions: [Int32],
                  scratch: inout DecoderScratch) -> Tensor {
        guard let g = lastGeometry, let qs = queries, let ks = keys, let vs = values else {
            preconditionFailure("LlamaDecoderLayer.backward before forward")
        }
        let n = dy.rows
        // MLP half.
        let dAct = down.backward(dy)
        let dGate = scratch.gate.tensor(dAct.shape), dUp = scratch.up.tensor(dAct.shape)
        Activation.swiGLUBackward(gate: gateValues.tensor(dAct.shape),
                                  up: upValues.tensor(dAct.shape),
                                  outputGradient: dAct, gateGradient: dGate, upGradient: dUp)
        let dH2 = gate.backward(dGate)
        up.backward(dUp, addingInto: dH2)
        let dMid = scratch.middle.tensor(dy.shape)
        dMid.assignSum(dy, postAttentionNorm.backward(dH2))
        // Attention half.
        let dA = o.backward(dMid)
        let dq = scratch.q.tensor([n, heads * headDim])
        let dk = scratch.k.tensor([n, kvHeads * headDim])
        let dv = scratch.v.tensor([n, kvHeads * headDim])
        let s = scratch.scores.tensor([g.probabilityCount])
        AttentionKernel.backward(g, q: qs.pointer, k: ks.pointer, v: vs.pointer,
                                 probabilities: probabilities.tensor([g.probabilityCount]).pointer,
                                 outputGradient: dA.pointer, scratch: s.pointer,
                                 dq: dq.pointer, dk: dk.pointer, dv: dv.pointer)
        rope.apply(dq, heads: heads, positions: positions, inverse: true)
        rope.apply(dk, heads: kvHeads, positions: positions, inverse: true)
        let dH1 = q.backward(dq)
        k.backward(dk, addingInto: dH1)
        v.backward(dv, addingInto: dH1)
        let dx = scratch.input.tensor(dy.shape)
        dx.assignSum(dMid, inputNorm.backward(dH1))
        return dx
    }
}

/// Gradient buffers shared by all decoder blocks during one backward pass (blocks run one
/// after another, so one set suffices).
struct DecoderScratch {
    var gate = ReusableBuffer(), up = ReusableBuffer(), middle = ReusableBuffer()
    var q = ReusableBuffer(), k = ReusableBuffer(), v = ReusableBuffer()
    var scores = ReusableBuffer(), input = ReusableBuffer()
}
