import Foundation
import Models
import Tokenizers

/// Log-probabilities of continuations of a context under a decoder: for each continuation, the
/// sum over its tokens of log p(token | context and the continuation's tokens before it), as
/// lm-evaluation-harness' `loglikelihood` computes it. Likelihood scoring picks the answer with
/// the highest one.
public enum ContinuationLikelihood {
    /// The token ids of `context` followed by each continuation. The context's trailing
    /// whitespace moves to the continuations, so that "… is " + "answer1" tokenises as the
    /// model reads "… is answer1" (a space starts the word's token), not as a lone space token.
    public static func tokens(context: String, continuations: [String], tokenizer: Tokenizer)
        -> (context: [Int], continuations: [[Int]])
    {
        var head = context
        var space = ""
        while let last = head.last, last.isWhitespace {
            space.insert(last, at: space.startIndex)
            head.removeLast()
        }
        return (tokenizer.encode(head).ids,
                continuations.map { tokenizer.encode(space + $0, addSpecialTokens: false).ids })
    }

    /// The log-probability of each continuation after `context`, from one batched forward pass
    /// (right-padded rows of context + continuation).
    public static func logProbabilities(_ decoder: LlamaModel, context: [Int], continuations: [[Int]],
                                        padTokenID: Int) throws -> [Double] {
        guard !context.isEmpty else { throw ModelError.invalidBatch("a continuation needs a context of at least one token") }
        guard !continuations.isEmpty, continuations.allSatisfy({ !$0.isEmpty }) else {
            throw ModelError.invalidBatch("every continuation needs at least one token")
        }
        let rows = continuations.count
        let length = context.count + (continuations.map(\.count).max() ?? 0)
        var ids = [Int32](repeating: Int32(padTokenID), count: rows * length)
        var mask = [Float](repeating: 0, count: rows * length)
        for (r, c) in continuations.enumerated() {
            for (t, id) in (context + c).enumerated() {
                ids[r * length + t] = Int32(id)
                mask[r * length + t] = 1
            }
        }
        let logits = try decoder.logits(TokenBatch(batchSize: rows, length: length, ids: ids, attentionMask: mask))
        let vocab = decoder.config.vocabSize
        return continuations.enumerated().map { r, c in
            var total = 0.0
            for (j, token) in c.enumerated() {
                // Position t - 1 predicts the token at t.
                let row = logits.pointer + (r * length + context.count + j - 1) * vocab
                var m = -Double.infinity
                for v in 0..<vocab { m = max(m, Double(row[v])) }
                var sum = 0.0
                for v in 0..<vocab { sum += exp(Double(row[v]) - m) }
                total += Double(row[token]) - m - log(sum)
            }
            return total
        }
    }
}
