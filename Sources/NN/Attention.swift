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
/// Training work is split into items, one per (sequence, key/value head): an item holds all
/// products, masking and softmax rows of the query heads that share that key/value head, and
/// items run concurrently on the cores (`Gemm.concurrentProducts`), each with single-threaded
/// BLAS. The per-head products are too small (128×128×32 for MiniLM) for OpenBLAS to thread
/// well, and an item's `group · seq²` scores stay in cache from product to softmax to product.
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
    private var context = DroppableActivation()      // [batch, seq, heads · headDim]
    private var scoreGradient = ActivationBuffer()   // [workers, seq · seq] scratch
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

    /// Keeps the gradients of queries, keys, values and scores, and those of the four
    /// projections, in `pool`'s buffers under `name` (see `BufferPool`).
    public func shareBackwardBuffers(_ pool: BufferPool, as name: String) {
        scoreGradient = pool.buffer(name + ".dscores")
        queryGradient = pool.buffer(name + ".dq")
        keyGradient = pool.buffer(name + ".dk")
        valueGradient = pool.buffer(name + ".dv")
        for (linear, suffix) in [(query, ".q"), (key, ".k"), (value, ".v"), (output, ".o")] {
            linear.shareBackwardBuffers(pool, as: name + suffix)
        }
    }

    /// Keeps the probabilities, the context and the projections' outputs in `pool`'s buffers
    /// under `name` (see `BufferPool`), or in buffers of its own when `pool` is nil.
    public func shareForwardBuffers(_ pool: BufferPool?, as name: String) {
        probabilities = pool.buffer(name + ".probabilities")
        context.shareKept(pool, as: name + ".context")
        for (linear, suffix) in [(query, ".q"), (key, ".k"), (value, ".v"), (output, ".o")] {
            linear.shareForwardBuffers(pool, as: name + suffix)
        }
    }

    /// Writes the activations no backward reads to `pool` (see `DroppableActivation`).
    public func shareDroppedBuffers(_ pool: BufferPool, as name: String) {
        context.shareDropped(pool, as: name + ".context")
        output.shareDroppedBuffers(pool, as: name + ".o")
    }

    /// Whether `backward` reads the input of the last forward (a q, k or v gradient does).
    public var readsInputInBackward: Bool {
        query.readsInputInBackward || key.readsInputInBackward || value.readsInputInBackward
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
    /// `keepOutput` as `Linear.forward` takes it, for the output projection's result.
    public func forward(_ x: Tensor, attentionMask: [Bool]? = nil, positions: [Int]? = nil,
                        keepOutput: Bool = true) -> Tensor {
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
        let ctx = context.tensor([b, s, h * d], keep: output.readsInputInBackward)
        let qw = h * d, kw = kvh * d, ss = s * s
        let scale = 1 / Float(d).squareRoot()
        withMask(attentionMask) { mask in
            Gemm.concurrentProducts(b * kvh) { item, _ in
                let bi = item / kvh, g = item % kvh
                let scores = p.pointer + (bi * h + g * group) * ss
                // scores[bi, head] = q_head k_gᵀ / √d for the heads of group g.
                Gemm.sgemmBatched(batch: group, transposeA: false, transposeB: true, m: s, n: s, k: d,
                                  alpha: scale, a: q.pointer + bi * s * qw + g * group * d, lda: qw, strideA: d,
                                  b: k.pointer + bi * s * kw + g * d, ldb: kw, strideB: 0,
                                  c: scores, ldc: s, strideC: ss)
                for row in 0..<(group * s) {
                    let r = scores + row * s
                    if !mask.isEmpty { mask.apply(r, position: row % s, batchItem: bi, keys: s) }
                    RowKernels.softmaxRow(r, into: r, columns: s)
                }
                // ctx[bi, :, head] = P[bi, head] v_g
                Gemm.sgemmBatched(batch: group, transposeA: false, transposeB: false, m: s, n: d, k: s,
                                  a: scores, lda: s, strideA: ss,
                                  b: v.pointer + bi * s * kw + g * d, ldb: kw, strideB: 0,
                                  c: ctx.pointer + bi * s * qw + g * group * d, ldc: qw, strideC: d)
            }
        }
        return output.forward(ctx, keepOutput: keepOutput)
    }

    /// Calls `body` with the mask of this layer over the given padding flags.
    private func withMask<R>(_ flags: [Bool]?, _ body: (AttentionMask) -> R) -> R {
        let window = slidingWindow ?? Int.max
        guard let flags else { return body(AttentionMask(causal: isCausal, window: window, padding: nil)) }
        return flags.withUnsafeBufferPointer {
            body(AttentionMask(causal: isCausal, window: window, padding: $0.baseAddress))
        }
    }

    /// Sets masked scores to −∞ in `rows` rows of `keys` scores (one row per batch item, head
    /// and query): keys after the query (causal), keys out of the sliding window, padding keys.
    /// Query `i` of the rows sits at absolute position `pastKeys + i` among the keys.
    private func applyMask(_ p: Tensor, rows: Int, queries: Int, keys: Int, pastKeys: Int,
                           _ flags: [Bool]?) {
        let perBatch = heads * queries
        withMask(flags) { mask in
            if mask.isEmpty { return }
            let base = p.pointer
            Parallel.forEachRow(rows, rowCost: keys) { row in
                mask.apply(base + row * keys, position: pastKeys + row % queries,
                           batchItem: row / perBatch, keys: keys)
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
        let ctx = context.tensor([b, n, qw], keep: true)
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
        let dk = keyGradient.tensor([b, s, kw])
        let dv = valueGradient.tensor([b, s, kw])
        let items = b * kvh
        let scratch = scoreGradient.tensor([Gemm.concurrentWorkers(items), ss])
        Gemm.concurrentProducts(items) { item, worker in
            let bi = item / kvh, g = item % kvh
            let pg = p.pointer + (bi * h + g * group) * ss     // P of the group's heads
            let dp = scratch.pointer + worker * ss             // dP of one head
            let dctxg = dctx.pointer + bi * s * qw + g * group * d
            let qg = q.pointer + bi * s * qw + g * group * d
            let dqg = dq.pointer + bi * s * qw + g * group * d
            let kg = k.pointer + bi * s * kw + g * d, vg = v.pointer + bi * s * kw + g * d
            let dkg = dk.pointer + bi * s * kw + g * d, dvg = dv.pointer + bi * s * kw + g * d
            // dV_g = Σ_head Pᵀ dctx_head over the heads sharing v_g.
            for j in 0..<group {
                Gemm.sgemm(transposeA: true, transposeB: false, m: s, n: d, k: s,
                           a: pg + j * ss, lda: s, b: dctxg + j * d, ldb: qw,
                           beta: j == 0 ? 0 : 1, c: dvg, ldc: kw)
            }
            // dP = dctx_head v_gᵀ; dS = softmax backward, written over P (head by head, so the
            // scratch holds one head's dP).
            for j in 0..<group {
                Gemm.sgemm(transposeA: false, transposeB: true, m: s, n: s, k: d,
                           a: dctxg + j * d, lda: qw, b: vg, ldb: kw, c: dp, ldc: s)
                let ph = pg + j * ss
                for row in 0..<s {
                    RowKernels.softmaxBackwardRow(output: ph + row * s, gradient: dp + row * s,
                                                  into: ph + row * s, columns: s)
                }
            }
            // dQ_head = dS k_g / √d;  dK_g = Σ_head dSᵀ q_head / √d
            Gemm.sgemmBatched(batch: group, transposeA: false, transposeB: false, m: s, n: d, k: s,
                              alpha: scale, a: pg, lda: s, strideA: ss, b: kg, ldb: kw, strideB: 0,
                              c: dqg, ldc: qw, strideC: d)
            for j in 0..<group {
                Gemm.sgemm(transposeA: true, transposeB: false, m: s, n: d, k: s,
                           alpha: scale, a: pg + j * ss, lda: s, b: qg + j * d, ldb: qw,
                           beta: j == 0 ? 0 : 1, c: dkg, ldc: kw)
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
