import NN
import Tensor

extension LlamaModel {
    /// Continues every prompt (token ids; lengths may differ) with a KV cache, one token per
    /// sequence per step. `onToken(sequence, token)` is called as tokens are produced and may
    /// return false to stop that sequence (stop strings). Returns the new tokens of each
    /// sequence, without the stop token.
    public func generate(prompts: [[Int]], options: GenerationOptions,
                         onToken: (Int, Int) -> Bool = { _, _ in true }) throws -> [[Int]] {
        guard !prompts.isEmpty, prompts.allSatisfy({ !$0.isEmpty }) else {
            throw ModelError.invalidBatch("every prompt needs at least one token")
        }
        guard options.maxNewTokens >= 0 else { throw ModelError.invalidBatch("negative token budget") }
        let b = prompts.count, width = prompts.map(\.count).max() ?? 0
        let capacity = width + options.maxNewTokens
        let cache = try makeCache(batch: b, capacity: capacity)
        // Left padding aligns the prompts' ends; positions count real tokens only.
        var ids = [Int32](repeating: 0, count: b * width)
        var valid = [Bool](repeating: false, count: b * width)
        var positions = [Int](repeating: 0, count: b * width)
        for (s, p) in prompts.enumerated() {
            let pad = width - p.count
            for (i, t) in p.enumerated() {
                guard t >= 0, t < config.vocabSize else {
                    throw ModelError.invalidBatch("prompt token \(t) is outside the vocabulary")
                }
                ids[s * width + pad + i] = Int32(t)
                valid[s * width + pad + i] = true
                positions[s * width + pad + i] = i
            }
        }
        let stops = options.ignoreEndOfSequence ? options.stopTokens
            : options.stopTokens.union(options.stopTokens.isEmpty ? Set(config.eosTokenIds) : [])
        var sampler = TokenSampler(options: options)
        var lastRows = ActivationBuffer()
        var outputs = [[Int]](repeating: [], count: b)
        var done = [Bool](repeating: false, count: b)
        var logits = try extend(cache, ids: ids, valid: valid, positions: positions, lastRows: &lastRows)
        var lengths = prompts.map(\.count)
        for _ in 0..<options.maxNewTokens {
            var next = [Int32](repeating: 0, count: b)
            for s in 0..<b where !done[s] {
                let t = sampler.next(logits.pointer + s * config.vocabSize, vocab: config.vocabSize)
                if stops.contains(t) { done[s] = true; continue }
                outputs[s].append(t)
                next[s] = Int32(t)
                if !onToken(s, t) { done[s] = true }
            }
            if done.allSatisfy({ $0 }) || outputs.map(\.count).max() == options.maxNewTokens
                && done.indices.allSatisfy({ done[$0] || outputs[$0].count == options.maxNewTokens }) {
                break
            }
            let step = lengths
            for s in 0..<b where !done[s] { lengths[s] += 1 }
            logits = try extend(cache, ids: next, valid: done.map { !$0 },
                                positions: step, lastRows: &lastRows)
        }
        return outputs
    }
}
