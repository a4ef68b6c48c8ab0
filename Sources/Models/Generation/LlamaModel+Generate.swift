import NN
import Tensor

extension LlamaModel {
    /// Continues every prompt (token ids; lengths may differ) with a KV cache, one token per
    /// sequence per step. At most `options.batchSize` sequences decode together; when one
    /// finishes, the next prompt takes its cache row in the following step (continuous
    /// batching), so a batch never waits for its longest answer. `onToken(sequence, token)` is
    /// called as tokens are produced and may return false to stop that sequence (stop strings);
    /// `onFinish(sequence, tokens)` once a sequence is complete. Returns the new tokens of each
    /// sequence, without the stop token.
    public func generate(prompts: [[Int]], options: GenerationOptions,
                         onToken: (Int, Int) -> Bool = { _, _ in true },
                         onFinish: (Int, [Int]) -> Void = { _, _ in }) throws -> [[Int]] {
        guard !prompts.isEmpty, prompts.allSatisfy({ !$0.isEmpty }) else {
            throw ModelError.invalidBatch("every prompt needs at least one token")
        }
        guard options.maxNewTokens >= 0 else { throw ModelError.invalidBatch("negative token budget") }
        guard options.batchSize.map({ $0 > 0 }) ?? true else { throw ModelError.invalidBatch("the batch size must be positive") }
        for p in prompts {
            if let t = p.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw ModelError.invalidBatch("prompt token \(t) is outside the vocabulary")
            }
        }
        var outputs = [[Int]](repeating: [], count: prompts.count)
        if options.maxNewTokens == 0 {
            for s in prompts.indices { onFinish(s, []) }
            return outputs
        }
        let rows = min(options.batchSize ?? prompts.count, prompts.count)
        // A row's last fed token is its answer's second to last: the last is never fed back.
        let capacity = (prompts.map(\.count).max() ?? 0) + options.maxNewTokens - 1
        let cache = try makeCache(batch: rows, capacity: capacity)
        let stops = options.ignoreEndOfSequence ? options.stopTokens
            : options.stopTokens.union(options.stopTokens.isEmpty ? Set(config.eosTokenIds) : [])
        var sampler = TokenSampler(options: options)
        var lastRows = ActivationBuffer()
        // Each step feeds `feed[i]` to cache row `feedRows[i]`, whose sequence is `sequenceOf[row]`.
        var sequenceOf = [Int](repeating: -1, count: rows)
        var feedRows = [Int](), feed = [[Int32]]()
        var nextPrompt = 0
        /// Gives an empty `row` the next prompt, if one is left.
        func admit(_ row: Int) {
            guard nextPrompt < prompts.count else { return }
            sequenceOf[row] = nextPrompt
            feedRows.append(row); feed.append(prompts[nextPrompt].map(Int32.init))
            nextPrompt += 1
        }
        for row in 0..<rows { admit(row) }
        while !feedRows.isEmpty {
            let logits = try extend(cache, rows: feedRows, ids: feed, lastRows: &lastRows)
            let fed = feedRows
            feedRows = []; feed = []
            for (i, row) in fed.enumerated() {
                let s = sequenceOf[row]
                let t = sampler.next(logits.pointer + i * config.vocabSize, vocab: config.vocabSize)
                var finished = stops.contains(t)
                if !finished {
                    outputs[s].append(t)
                    finished = !onToken(s, t) || outputs[s].count == options.maxNewTokens
                }
                if !finished {
                    feedRows.append(row); feed.append([Int32(t)])
                    continue
                }
                onFinish(s, outputs[s])
                cache.reset(row: row)
                admit(row)
            }
        }
        return outputs
    }
}
