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

    /// Inference with a key/value cache: the new tokens `x` `[1, tokens, dim]` are the
    /// `segments`' tokens packed one after another; each segment's tokens attend to what its
    /// cache row holds plus themselves (causally, within the sliding window), then are appended
    /// to that row. A token's RoPE position is its slot in the row. No backward is possible
    /// after this call.
    ///
    /// Work items are (segment, key/value head) pairs run on the cores, as in training: a
    /// decoding step's one-token segments are too small to thread inside BLAS.
    public func forward(_ x: Tensor, cache: KeyValueCache, segments: [CacheSegment]) -> Tensor {
        let total = segments.reduce(0) { $0 + $1.tokens }
        precondition(x.rank == 3 && x.shape[0] == 1 && x.shape[1] == total,
                     "Attention expects [1, \(total), dim] for the segments' tokens, got \(x.shape)")
        let d = headDimension, h = heads, kvh = keyValueHeads, group = h / kvh
        let qw = h * d, kw = kvh * d
        precondition(cache.width == kw, "cache holds rows of \(cache.width), layer needs \(kw)")
        // Where each segment's tokens, keys and scores start.
        var tokenStart = [Int](), scoreStart = [Int](), past = [Int]()
        var tokenOffset = 0, scoreOffset = 0
        var seen = Set<Int>()
        for s in segments {
            precondition(s.row >= 0 && s.row < cache.batch && seen.insert(s.row).inserted,
                         "segment row \(s.row) is outside the cache or repeated")
            precondition(s.tokens > 0 && s.tokens <= cache.remaining(row: s.row),
                         "key/value cache row \(s.row) full: \(cache.lengths[s.row]) + \(s.tokens) > \(cache.capacity)")
            tokenStart.append(tokenOffset); scoreStart.append(scoreOffset); past.append(cache.lengths[s.row])
            tokenOffset += s.tokens
            scoreOffset += h * s.tokens * (cache.lengths[s.row] + s.tokens)
        }
        queries = nil  // invalidates backward
        let q = query.forward(x), k = key.forward(x), v = value.forward(x)
        if let rope = rotary {
            var positions = [Int]()
            positions.reserveCapacity(total)
            for (s, start) in zip(segments, past) { positions += start ..< start + s.tokens }
            rope.apply(q, heads: h, positions: positions)
            rope.apply(k, heads: kvh, positions: positions)
        }
        let cap = cache.capacity
        for (i, s) in segments.enumerated() {
            let slot = (s.row * cap + past[i]) * kw, from = tokenStart[i] * kw
            (cache.keys.pointer + slot).update(from: k.pointer + from, count: s.tokens * kw)
            (cache.values.pointer + slot).update(from: v.pointer + from, count: s.tokens * kw)
            cache.lengths[s.row] += s.tokens
        }
        let p = probabilities.tensor([max(scoreOffset, 1)])
        let ctx = context.tensor([1, total, qw], keep: true)
        let scale = 1 / Float(d).squareRoot()
        withMask(nil) { mask in
            Gemm.concurrentProducts(segments.count * kvh) { item, _ in
                let i = item / kvh, g = item % kvh, s = segments[i]
                let n = s.tokens, keys = past[i] + n, block = n * keys
                let scores = p.pointer + scoreStart[i] + g * group * block
                let rowKeys = cache.keys.pointer + s.row * cap * kw + g * d
                let rowValues = cache.values.pointer + s.row * cap * kw + g * d
                Gemm.sgemmBatched(batch: group, transposeA: false, transposeB: true, m: n, n: keys, k: d,
                                  alpha: scale, a: q.pointer + tokenStart[i] * qw + g * group * d, lda: qw, strideA: d,
                                  b: rowKeys, ldb: kw, strideB: 0, c: scores, ldc: keys, strideC: block)
                for row in 0..<(group * n) {
                    let r = scores + row * keys
                    if !mask.isEmpty { mask.apply(r, position: past[i] + row % n, batchItem: 0, keys: keys) }
                    RowKernels.softmaxRow(r, into: r, columns: keys)
                }
                Gemm.sgemmBatched(batch: group, transposeA: false, transposeB: false, m: n, n: d, k: keys,
                                  a: scores, lda: keys, strideA: block, b: rowValues, ldb: kw, strideB: 0,
                                  c: ctx.pointer + tokenStart[i] * qw + g * group * d, ldc: qw, strideC: d)
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
