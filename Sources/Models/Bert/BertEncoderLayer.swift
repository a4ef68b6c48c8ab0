import NN
import Tensor

/// One post-norm BERT block: `h = LN(x + o(attn(q, k, v)))`, `y = LN(h + out(gelu(in(h))))`.
/// Activations live in buffers the layer owns, sized by the batch shape.
public final class BertEncoderLayer {
    public let query: Linear, key: Linear, value: Linear, attentionOutput: Linear
    public let attentionNorm: LayerNorm
    public let intermediate: Linear, output: Linear
    public let outputNorm: LayerNorm
    let heads: Int, headDim: Int
    let tanhGELU: Bool

    private var probabilities = ReusableBuffer(), context = ReusableBuffer()
    private var residual1 = ReusableBuffer(), preActivation = ReusableBuffer()
    private var activated = ReusableBuffer(), residual2 = ReusableBuffer()
    private var queries: Tensor?, keys: Tensor?, values: Tensor?
    private var lastGeometry: AttentionGeometry?

    init(query: Linear, key: Linear, value: Linear, attentionOutput: Linear,
         attentionNorm: LayerNorm, intermediate: Linear, output: Linear, outputNorm: LayerNorm,
         config: EncoderConfig) {
        self.query = query; self.key = key; self.value = value
        self.attentionOutput = attentionOutput; self.attentionNorm = attentionNorm
        self.intermediate = intermediate; self.output = output; self.outputNorm = outputNorm
        heads = config.headCount
        headDim = config.headDim
        tanhGELU = config.activation != "gelu"
    }

    func forward(_ x: Tensor, batch: Int, length: Int, keyMask: [Float]) -> Tensor {
        let n = x.rows, d = x.columns
        let g = AttentionGeometry(batch: batch, queries: length, keys: length, keyStride: length,
                                  queryOffset: 0, heads: heads, kvHeads: heads, headDim: headDim,
                                  causal: false, window: nil)
        let qs = query.forward(x), ks = key.forward(x), vs = value.forward(x)
        let p = probabilities.tensor([g.probabilityCount])
        let ctx = context.tensor([n, d])
        precondition(keyMask.count == n, "one mask value per token")
        keyMask.withUnsafeBufferPointer { mb in
            guard let m = mb.baseAddress else { return }
            AttentionKernel.forward(g, q: qs.pointer, k: ks.pointer, v: vs.pointer, keyMask: m,
                                    probabilities: p.pointer, out: ctx.pointer)
        }
        queries = qs; keys = ks; values = vs; lastGeometry = g
        let r1 = residual1.tensor([n, d])
        r1.assignSum(x, attentionOutput.forward(ctx))
        let h = attentionNorm.forward(r1)
        let pre = preActivation.tensor([n, intermediate.outFeatures])
        pre.copy(from: intermediate.forward(h))
        let act = activated.tensor(pre.shape)
        if tanhGELU { Activation.geluTanh(pre, into: act) } else { Activation.gelu(pre, into: act) }
        let r2 = residual2.tensor([n, d])
        r2.assignSum(h, output.forward(act))
        return outputNorm.forward(r2)
    }

    func backward(_ dy: Tensor, scratch: inout EncoderScratch) -> Tensor {
        guard let g = lastGeometry, let qs = queries, let ks = keys, let vs = values else {
            preconditionFailure("BertEncoderLayer.backward before forward")
        }
        let n = dy.rows, d = dy.columns
        let dR2 = outputNorm.backward(dy)
        let dAct = output.backward(dR2)
        let pre = preActivation.tensor([n, intermediate.outFeatures])
        let dPre = scratch.ffn.tensor(pre.shape)
        if tanhGELU {
            Activation.geluTanhBackward(input: pre, outputGradient: dAct, into: dPre)
        } else {
            Activation.geluBackward(input: pre, outputGradient: dAct, into: dPre)
        }
        let dH = scratch.hidden.tensor([n, d])
        dH.assignSum(intermediate.backward(dPre), dR2)
        let dR1 = attentionNorm.backward(dH)
        let dCtx = attentionOutput.backward(dR1)
        let dq = scratch.q.tensor([n, d]), dk = scratch.k.tensor([n, d]), dv = scratch.v.tensor([n, d])
        let s = scratch.scores.tensor([g.probabilityCount])
        AttentionKernel.backward(g, q: qs.pointer, k: ks.pointer, v: vs.pointer,
                                 probabilities: probabilities.tensor([g.probabilityCount]).pointer,
                                 outputGradient: dCtx.pointer, scratch: s.pointer,
                                 dq: dq.pointer, dk: dk.pointer, dv: dv.pointer)
        let dx = scratch.input.tensor([n, d])
        dx.copy(from: dR1)
        query.backward(dq, addingInto: dx)
        key.backward(dk, addingInto: dx)
        value.backward(dv, addingInto: dx)
        return dx
    }
}

/// Gradient buffers shared by the encoder blocks during one backward pass.
struct EncoderScratch {
    var ffn = ReusableBuffer(), hidden = ReusableBuffer()
    var q = ReusableBuffer(), k = ReusableBuffer(), v = ReusableBuffer()
    var scores = ReusableBuffer(), input = ReusableBuffer()
}
