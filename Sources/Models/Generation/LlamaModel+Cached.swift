import NN
import Tensor

extension LlamaDecoderLayer {
    /// Inference forward for `n` new tokens per sequence whose keys and values are appended to
    /// `cache` at slots `cache.filled ..< cache.filled + n`. Overwrites the layer's training
    /// activations (do not interleave with a pending backward).
    func forwardCached(_ x: Tensor, layerIndex: Int, newTokens n: Int, positions: [Int32],
                       cache: KVCache, rope: RotaryEmbedding, output buffer: inout ReusableBuffer,
                       attention attn: inout ReusableBuffer, scores: inout ReusableBuffer) -> Tensor {
        let b = cache.batch, start = cache.filled, kvWidth = kvHeads * headDim
        let h1 = inputNorm.forward(x)
        let qs = q.forward(h1), ks = k.forward(h1), vs = v.forward(h1)
        rope.apply(qs, heads: heads, positions: positions)
        rope.apply(ks, heads: kvHeads, positions: positions)
        let kc = cache.keys[layerIndex], vc = cache.values[layerIndex]
        for s in 0..<b {
            for i in 0..<n {
                let dst = (s * cache.capacity + start + i) * kvWidth, src = (s * n + i) * kvWidth
                (kc.pointer + dst).update(from: ks.pointer + src, count: kvWidth)
                (vc.pointer + dst).update(from: vs.pointer + src, count: kvWidth)
            }
        }
        let g = AttentionGeometry(batch: b, queries: n, keys: start + n, keyStride: cache.capacity,
                                  queryOffset: start, heads: heads, kvHeads: kvHeads,
                                  headDim: headDim, causal: true, window: slidingWindow)
        let p = scores.tensor([g.probabilityCount])
        let a = attn.tensor([b * n, heads * headDim])
        cache.mask.withUnsafeBufferPointer { mb in
            guard let m = mb.baseAddress else { return }
            AttentionKernel.forward(g, q: qs.pointer, k: kc.pointer, v: vc.pointer, keyMask: m,
                                    probabilities: p.pointer, out: a.pointer)
        }
        let mid = buffer.tensor(x.shape)
        mid.assignSum(x, o.forward(a))
        let h2 = postAttentionNorm.forward(mid)
        let act = attn.tensor([b * n, gate.outFeatures])
        let gs = gate.forward(h2)
        Activation.swiGLU(gate: gs, up: up.forward(h2), into: act)
        mid.assignSum(mid, down.forward(act))
        return mid
    }
}

/// Buffers of incremental decoding, reused across steps.
struct CachedDecodingBuffers {
    var hidden = [ReusableBuffer(), ReusableBuffer()]
    var attention = ReusableBuffer(), scores = ReusableBuffer(), last = ReusableBuffer()
}

extension LlamaModel {
    /// A cache for `batch` sequences of up to `capacity` tokens (prompt + generated).
    public func makeCache(batch: Int, capacity: Int) throws -> KVCache {
        guard batch > 0 else { throw ModelError.invalidBatch("the batch is empty") }
        guard capacity <= config.maxPositions else {
            throw ModelError.sequenceTooLong(length: capacity, maximum: config.maxPositions)
        }
        let bytes = batch.multipliedReportingOverflow(by: capacity)
        guard !bytes.overflow else { throw ModelError.invalidBatch("cache size overflows") }
        return KVCache(layers: config.layerCount, batch: batch, capacity: capacity,
                       kvWidth: config.kvHeadCount * config.headDim)
    }

    /// Feeds `n` new tokens per sequence (`ids` row-major `[batch, n]`, `valid` marks real
    /// tokens, `positions` their RoPE positions) through the model, appending to `cache`.
    /// Returns the logits of each sequence's last new token: `[batch, vocab]`.
    func extend(_ cache: KVCache, ids: [Int32], valid: [Float], positions: [Int32],
                buffers: inout CachedDecodingBuffers) throws -> Tensor {
        let b = cache.batch, n = ids.count / b
        guard cache.filled + n <= cache.capacity else {
            throw ModelError.sequenceTooLong(length: cache.filled + n, maximum: cache.capacity)
        }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw ModelError.invalidBatch("token id \(bad) is outside the vocabulary")
        }
        for s in 0..<b { for i in 0..<n { cache.mask[s * cache.capacity + cache.filled + i] = valid[s * n + i] } }
        var x = try embedding.forward(ids.map(Int.init))
        for (i, layer) in layers.enumerated() {
            x = layer.forwardCached(x, layerIndex: i, newTokens: n, positions: positions, cache: cache,
                                    rope: rope, output: &buffers.hidden[i % 2],
                                    attention: &buffers.attention, scores: &buffers.scores)
        }
        cache.filled += n
        let last = buffers.last.tensor([b, config.hiddenSize])
        let d = config.hiddenSize
        for s in 0..<b { (last.pointer + s * d).update(from: x.pointer + (s * n + n - 1) * d, count: d) }
        return outputProjection.forward(finalNorm.forward(last))
    }
}
