import Foundation
import Tensor

/// Multi-head attention with grouped key/value heads (GQA; `keyValueHeads == heads` is plain
/// MHA), optional rotary position embeddings, a causal mask for decoders (optionally limited to
/// a sliding window) and a padding mask (one flag per token, as Transformers'
/// `attention_mask`) for both decoders and encoders.
///
/// Shapes: `x` is `[batch, seq, dim]`; the query projection gives `heads · headDimension`
/// columns, key and value `keyValueHeads · headDimension`; query head `h` reads key/value head
/// `h / (heads / keyValueHeads)`. Scores `[batch, heads, seq, seq]` come from one sgemm per
/// head (strided, no transposed copies), are scaled by `1/√headDimension`, masked to `−∞`,
/// and turned into probabilities by the row softmax kernel.
///
/// A query row whose keys are all masked (a left-padded position under a causal mask) gets
/// all-zero probabilities, so its context is zero; such rows carry no loss in training.
///
/// Buffers: outputs belong to the layer. `backward` reuses the cached probabilities' storage
/// for the score gradient, so it may run once per `forward`.
public final class Attention {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let output: Linear
    public let heads: Int
    public let keyValueHeads: Int
    public let headDimension: Int
    public let isCausal: Bool
    /// With a causal mask, the number of most recent keys a query may see (itself included), as
    /// Mistral/Qwen2's `sliding_window`; nil for unlimited.
    public let slidingWindow: Int?
    public let rotary: RotaryEmbedding?

    private var batch = 0, sequence = 0
    private var positions: [Int] = []
    private var probabilities = ActivationBuffer()   // [batch, heads, seq, seq]
    private var context = ActivationBuffer()         // [batch, seq, heads · headDim]
    private var scoreGradient = ActivationBuffer()   // [seq, seq] scratch
    private var queryGradient = ActivationBuffer()
    private var keyGradient = ActivationBuffer()
    private var valueGradient = ActivationBuffer()
    private var queries: Tensor?, keys: Tensor?, values: Tensor?

    public init(query: Linear, key: Linear, value: Linear, output: Linear,
                heads: Int, keyValueHeads: Int, headDimension: Int,
                causal: Bool, rotary: RotaryEmbedding? = nil, slidingWindow: Int? = nil) {
        precondition(heads > 0 && keyValueHeads > 0 && heads % keyValueHeads == 0,
                     "\(heads) heads cannot share \(keyValueHeads) key/value heads")
        precondition(query.outFeatures == heads * headDimension, "query projection gives \(query.outFeatures), not \(heads)·\(headDimension)")
        precondition(key.outFeatures == keyValueHeads * headDimension && value.outFeatures == keyValueHeads * headDimension,
                     "key/value projections must give \(keyValueHeads)·\(headDimension)")
        precondition(output.inFeatures == heads * headDimension, "output projection takes \(output.inFeatures)")
        precondition(key.inFeatures == query.inFeatures && value.inFeatures == query.inFeatures,
                     "query, key and value must read the same input width")
        if let r = rotary { precondition(r.headDimension == headDimension, "RoPE head dimension \(r.headDimension) ≠ \(headDimension)") }
        self.query = query
        self.key = key
        self.value = value
        self.output = output
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headDimension = headDimension
        self.isCausal = causal
        if let w = slidingWindow { precondition(causal && w > 0, "a sliding window needs a causal layer and a positive width") }
        self.slidingWindow = slidingWindow
        self.rotary = rotary
    }

    /// The four projections' parameters (not adapters').
    public var parameters: [Parameter] {
        query.parameters + key.parameters + value.parameters + output.parameters
    }

    /// `x` `[batch, seq, dim]` → `[batch, seq, dim_out]`.
    /// - Parameters:
    ///   - attentionMask: `batch · seq` flags, true for real tokens, false for padding (keys
    ///     that are padding are never attended to); nil attends to every key.
    ///   - positions: `batch · seq` RoPE positions; nil means `0..<seq` in every sequence.
    public func forward(_ x: Tensor, attentionMask: [Bool]? = nil, positions: [Int]? = nil) -> Tensor {
        precondition(x.rank == 3, "Attention expects [batch, seq, dim], got \(x.shape)")
        let b = x.shape[0], s = x.shape[1], d = headDimension
        let h = heads, kvh = keyValueHeads, group = h / kvh
        if let m = attentionMask { precondition(m.count == b * s, "attention mask needs \(b * s) flags, got \(m.count)") }
        batch = b; sequence = s
        let q = query.forward(x), k = key.forward(x), v = value.forward(x)
        queries = q; keys = k; values = v
        if let rope = rotary {
            let pos = positions ?? (0..<(b * s)).map { $0 % s }
            precondition(pos.count == b * s, "positions needs \(b * s) values, got \(pos.count)")
            self.positions = pos
            rope.apply(q, heads: h, positions: pos)
            rope.apply(k, heads: kvh, positions: pos)
        }
        let p = probabilities.tensor([b, h, s, s])
        let qw = h * d, kw = kvh * d, ss = s * s
        let scale = 1 / Float(d).squareRoot()
        for bi in 0..<b {
            for g in 0..<kvh {
                // scores[bi, head] = q_head k_gᵀ / √d for the heads of group g.
                Gemm.sgemmBatched(batch: group, transposeA: false, transposeB: true, m: s, n: s, k: d,
                                  alpha: scale, a: q.pointer + bi * s * qw + g * group * d, lda: qw, strideA: d,
                                  b: k.pointer + bi * s * kw + g * d, ldb: kw, strideB: 0,
                                  c: p.pointer + (bi * h + g * group) * ss, ldc: s, strideC: ss)
            }
        }
        applyMask(p, rows: b * h * s, queries: s, keys: s, pastKeys: 0, attentionMask)
        RowKernels.softmax(p.pointer, into: p.pointer, rows: b * h * s, columns: s)
        let ctx = context.tensor([b, s, qw])
        for bi in 0..<b {
            for g in 0..<kvh {
                // ctx[bi, :, head] = P[bi, head] v_g
                Gemm.sgemmBatched(batch: group, transposeA: false, transposeB: false, m: s, n: d, k: s,
                                  a: p.pointer + (bi * h + g * group) * ss, lda: s, strideA: ss,
                                  b: v.pointer + bi * s * kw + g * d, ldb: kw, strideB: 0,
                                  c: ctx.pointer + bi * s * qw + g * group * d, ldc: qw, strideC: d)
            }
        }
        return output.forward(ctx)
    }

    /// Sets masked scores to −∞ in `rows` rows of `keys` scores (one row per batch item, head
    /// and query): keys after the query (causal), keys out of the sliding window, padding keys.
    /// Query `i` of the rows sits at absolute position `pastKeys + i` among the keys.
    private func applyMask(_ p: Tensor, rows: Int, queries: Int, keys: Int, pastKeys: Int,
                           _ mask: [Bool]?) {
        if !isCausal && mask == nil { return }
        let perBatch = heads * queries
        let causal = isCausal, window = slidingWindow ?? Int.max
        let base = p.pointer
        let keep = mask ?? []
        keep.withUnsafeBufferPointer { kp in
            Parallel.forEachRow(rows, rowCost: keys) { row in
                let position = pastKeys + row % queries, bi = row / perBatch
                let r = base + row * keys
                if causal {
                    if position + 1 < keys {
                        for j in (position + 1)..<keys { r[j] = -.infinity }
                    }
                    let oldest = position - window + 1   // keys before this are out of the window
                    if oldest > 0 {
                        for j in 0..<min(oldest, keys) { r[j] = -.infinity }
                    }
                }
                if let flags = kp.baseAddress, kp.count > 0 {
                    for j in 0..<keys where !flags[bi * keys + j] { r[j] = -.infinity }
                }
            }
        }
    }

    /// Inference with a key/value cache: attends the new tokens `x` `[batch, new, dim]` to every
    /// token already in `cache` plus themselves (causally when the layer is causal), then
    /// appends the new keys and values to the cache. No backward is possible after this call.
    /// - Parameters:
    ///   - attentionMask: `batch · (cache.length + new)` flags over all keys so far (false for
    ///     padding, e.g. the left padding of a batched prompt); nil attends to every key.
    ///   - positions: `batch · new` RoPE positions; nil means `cache.length + t`.
    public func forward(_ x: Tensor, cache: KeyValueCache, attentionMask: [Bool]? = nil,
                        positions: [Int]? = nil) -> Tensor {
        precondition(x.rank == 3 && x.shape[0] == cache.batch, "Attention expects [\(cache.batch), new, dim], got \(x.shape)")
        let b = x.shape[0], n = x.shape[1], d = headDimension
        let h = heads, kvh = keyValueHeads, group = h / kvh
        let qw = h * d, kw = kvh * d
        precondition(cache.width == kw, "cache holds rows of \(cache.width), layer needs \(kw)")
        precondition(n <= cache.remaining, "key/value cache full: \(cache.length) + \(n) > \(cache.capacity)")
        let past = cache.length, total = past + n
        if let m = attentionMask { precondition(m.count == b * total, "attention mask needs \(b * total) flags, got \(m.count)") }
        queries = nil  // invalidates backward
        let q = query.forward(x), k = key.forward(x), v = value.forward(x)
        if let rope = rotary {
            let pos = positions ?? (0..<(b * n)).map { past + $0 % n }
            precondition(pos.count == b * n, "positions needs \(b * n) values, got \(pos.count)")
            rope.apply(q, heads: h, positions: pos)
            rope.apply(k, heads: kvh, positions: pos)
        }
        let cap = cache.capacity
        for bi in 0..<b {
            (cache.keys.pointer + (bi * cap + past) * kw).update(from: k.pointer + bi * n * kw, count: n * kw)
            (cache.values.pointer + (bi * cap + past) * kw).update(from: v.pointer + bi * n * kw, count: n * kw)
        }
        cache.length = total
        let p = probabilities.tensor([b, h, n, total])
        let block = n * total
        let scale = 1 / Float(d).squareRoot()
        for bi in 0..<b {
            for g in 0..<kvh {
                Gemm.sgemmBatched(batch: group, transposeA: false, transposeB: true, m: n, n: total, k: d,
                                  alpha: scale, a: q.pointer + bi * n * qw + g * group * d, lda: qw, strideA: d,
                                  b: cache.keys.pointer + bi * cap * kw + g * d, ldb: kw, strideB: 0,
                                  c: p.pointer + (bi * h + g * group) * block, ldc: total, strideC: block)
            }
        }
        applyMask(p, rows: b * h * n, queries: n, keys: total, pastKeys: past, attentionMask)
        RowKernels.softmax(p.pointer, into: p.pointer, rows: b * h * n, columns: total)
        let ctx = context.tensor([b, n, qw])
        for bi in 0..<b {
            for g in 0..<kvh {
                Gemm.sgemmBatched(batch: group, transposeA: false, transposeB: false, m: n, n: d, k: total,
                                  a: p.pointer + (bi * h + g * group) * block, lda: total, strideA: block,
                                  b: cache.values.pointer + bi * cap * kw + g * d, ldb: kw, strideB: 0,
                                  c: ctx.pointer + bi * n * qw + g * group * d, ldc: qw, strideC: d)
            }
        }
        return output.forward(ctx)
    }

    /// Gradient with respect to `x` (in a buffer owned by the query projection); accumulates
    /// the gradients of trainable projection weights and adapters.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let q = queries, let k = keys, let v = values else {
            preconditionFailure("Attention.backward before forward")
        }
        let b = batch, s = sequence, d = headDimension
        let h = heads, kvh = keyValueHeads, group = h / kvh
        let qw = h * d, kw = kvh * d, ss = s * s
        let scale = 1 / Float(d).squareRoot()
        let dctx = output.backward(dy)
        let p = probabilities.tensor([b, h, s, s])
        let dq = queryGradient.tensor([b, s, qw])
        let dk = keyGradient.zeroed([b, s, kw])
        let dv = valueGradient.zeroed([b, s, kw])
        let dp = scoreGradient.tensor([s, s])
        for bi in 0..<b {
            for head in 0..<h {
                let g = head / group
                let ph = p.pointer + (bi * h + head) * ss
                let dctxh = dctx.pointer + bi * s * qw + head * d
                let qh = q.pointer + bi * s * qw + head * d
                let kg = k.pointer + bi * s * kw + g * d
                let vg = v.pointer + bi * s * kw + g * d
                // dV_g += Pᵀ dctx_h
                Gemm.sgemm(transposeA: true, transposeB: false, m: s, n: d, k: s,
                           a: ph, lda: s, b: dctxh, ldb: qw,
                           beta: 1, c: dv.pointer + bi * s * kw + g * d, ldc: kw)
                // dP = dctx_h v_gᵀ; dS = softmax backward, written over P.
                Gemm.sgemm(transposeA: false, transposeB: true, m: s, n: s, k: d,
                           a: dctxh, lda: qw, b: vg, ldb: kw, c: dp.pointer, ldc: s)
                RowKernels.softmaxBackward(output: ph, gradient: dp.pointer, into: ph, rows: s, columns: s)
                // dQ_h = dS k_g / √d;  dK_g += dSᵀ q_h / √d
                Gemm.sgemm(transposeA: false, transposeB: false, m: s, n: d, k: s,
                           alpha: scale, a: ph, lda: s, b: kg, ldb: kw,
                           c: dq.pointer + bi * s * qw + head * d, ldc: qw)
                Gemm.sgemm(transposeA: true, transposeB: false, m: s, n: d, k: s,
                           alpha: scale, a: ph, lda: s, b: qh, ldb: qw,
                           beta: 1, c: dk.pointer + bi * s * kw + g * d, ldc: kw)
            }
        }
        if let rope = rotary {
            rope.applyBackward(dq, heads: h, positions: positions)
            rope.applyBackward(dk, heads: kvh, positions: positions)
        }
        queries = nil  // the probabilities now hold score gradients
        let dx = query.backward(dq)
        key.backward(dk, addingInto: dx)
        value.backward(dv, addingInto: dx)
        return dx
    }
}
