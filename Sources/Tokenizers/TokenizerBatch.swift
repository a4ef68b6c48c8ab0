import Tensor

extension Tokenizer {
    /// Encodes many texts (or pairs: `pairs[i]` goes with `texts[i]`) split over the cores, then
    /// pads them to `padLength` or, with `padToLongest`, to the longest of the batch, using the
    /// tokenizer's pad id (0 when it has none). Ids are those of `encode` for each text.
    public func encodeBatch(_ texts: [String], pairs: [String]? = nil, addSpecialTokens: Bool = true,
                            truncation: TruncationOptions? = nil, padLength: Int? = nil,
                            padToLongest: Bool = false, padLeft: Bool = false) -> [Encoding] {
        precondition(pairs == nil || pairs?.count == texts.count, "encodeBatch: one pair per text")
        let empty = Encoding(ids: [], typeIds: [], attentionMask: [], specialTokensMask: [])
        var out = [Encoding](repeating: empty, count: texts.count)
        out.withUnsafeMutableBufferPointer { buffer in
            let box = UncheckedBox(buffer)
            // A text costs about its length; chunks of a few texts keep both cores busy.
            Parallel.forEachChunk(texts.count, minChunk: 8) { range in
                for i in range {
                    box.value[i] = self.encode(texts[i], pair: pairs?[i], addSpecialTokens: addSpecialTokens,
                                               truncation: truncation)
                }
            }
        }
        var target = padLength ?? 0
        if padToLongest { target = max(target, out.map(\.count).max() ?? 0) }
        if target > 0 {
            let padding = PaddingOptions(length: target, padId: padTokenId ?? 0, left: padLeft)
            for i in out.indices { padding.pad(&out[i]) }
        }
        return out
    }
}
