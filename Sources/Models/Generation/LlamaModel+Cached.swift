import NN
import Tensor

extension LlamaModel {
    /// A cache for `batch` sequences of up to `capacity` tokens (prompt + generated).
    public func makeCache(batch: Int, capacity: Int) throws -> DecoderCache {
        guard batch > 0, capacity > 0 else { throw ModelError.invalidBatch("the batch is empty") }
        guard capacity <= config.maxPositions else {
            throw ModelError.sequenceTooLong(length: capacity, maximum: config.maxPositions)
        }
        let floats = batch.multipliedReportingOverflow(by: capacity)
        guard !floats.overflow,
              !floats.partialValue.multipliedReportingOverflow(by: config.kvHeadCount * config.headDim).overflow else {
            throw ModelError.invalidBatch("cache size overflows")
        }
        return DecoderCache(layers: config.layerCount, batch: batch, capacity: capacity,
                            keyValueHeads: config.kvHeadCount, headDimension: config.headDim)
    }

    /// Feeds `n` new tokens per sequence (`ids` row-major `[batch, n]`, `valid` marks real
    /// tokens, `positions` their RoPE positions) through the model, appending to `cache`.
    /// Returns the logits of each sequence's last new token: `[batch, vocab]` (only those rows
    /// go through the vocabulary projection).
    func extend(_ cache: DecoderCache, ids: [Int32], valid: [Bool], positions: [Int],
                lastRows: inout ActivationBuffer) throws -> Tensor {
        let b = cache.batch, n = ids.count / b
        guard cache.filled + n <= cache.capacity else {
            throw ModelError.sequenceTooLong(length: cache.filled + n, maximum: cache.capacity)
        }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw ModelError.invalidBatch("token id \(bad) is outside the vocabulary")
        }
        let mask = cache.mark(valid, newTokens: n)
        var x = try embedding.forward(ids.map(Int.init), shape: [b, n])
        for (layer, blockCache) in zip(layers, cache.blocks) {
            x = layer.forward(x, cache: blockCache, attentionMask: mask, positions: positions)
        }
        let d = config.hiddenSize
        let last = lastRows.tensor([b, d])
        for s in 0..<b { (last.pointer + s * d).update(from: x.pointer + (s * n + n - 1) * d, count: d) }
        return outputProjection.forward(finalNorm.forward(last))
    }
}
