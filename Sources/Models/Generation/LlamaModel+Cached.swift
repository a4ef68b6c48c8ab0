import NN
import Tensor

extension LlamaModel {
    /// A cache for `batch` sequences in flight of up to `capacity` tokens each (prompt +
    /// generated).
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

    /// Feeds new tokens through the model, appending them to their cache rows: `ids[i]` to row
    /// `rows[i]` (a whole prompt to an emptied row, or one generated token), all rows in one
    /// pass. Returns the logits of each row's last new token, `[rows.count, vocab]` (only those
    /// rows go through the vocabulary projection). The ids are in the vocabulary: `generate`
    /// checks the prompts, and the sampler draws from the vocabulary.
    func extend(_ cache: DecoderCache, rows: [Int], ids: [[Int32]], lastRows: inout ActivationBuffer) throws -> Tensor {
        precondition(rows.count == ids.count, "one token list per row")
        var segments = [CacheSegment]()
        for (row, tokens) in zip(rows, ids) {
            guard !tokens.isEmpty else { throw ModelError.invalidBatch("no new tokens for cache row \(row)") }
            let length = cache.lengths[row] + tokens.count
            guard length <= cache.capacity else { throw ModelError.sequenceTooLong(length: length, maximum: cache.capacity) }
            segments.append(CacheSegment(row: row, tokens: tokens.count))
        }
        let packed = ids.flatMap { $0.map(Int.init) }
        var x = try embedding.forward(packed, shape: [1, packed.count])
        for (layer, blockCache) in zip(layers, cache.blocks) {
            x = layer.forward(x, cache: blockCache, segments: segments)
        }
        let d = config.hiddenSize
        let last = lastRows.tensor([segments.count, d])
        var end = 0
        for (i, s) in segments.enumerated() {
            end += s.tokens
            (last.pointer + i * d).update(from: x.pointer + (end - 1) * d, count: d)
        }
        return outputProjection.forward(finalNorm.forward(last))
    }
}
