/// What a batch is trained to predict.
public enum BatchLabels: Equatable, Sendable {
    /// Language modelling: one label per position, aligned with `tokenIDs` as in Transformers
    /// (the loss compares the prediction at position t with the label at t + 1), holding the
    /// token id where it is a target and `BatchCollator.ignoreIndex` (−100) on prompt and padding.
    case tokens([Int])
    /// Sequence classification: one class index per row.
    case classes([Int])
    /// Sequence regression: one target value per row.
    case values([Float])
}

/// A padded batch: `rows` sequences of `sequenceLength` positions, row-major, real tokens first
/// and padding after them.
public struct Batch: Equatable, Sendable {
    /// The index (in the example list the batch was drawn from) of each row's example.
    public let exampleIndices: [Int]
    public let sequenceLength: Int
    /// `rows × sequenceLength` token ids; padding positions hold the pad id.
    public let tokenIDs: [Int]
    /// `rows × sequenceLength`: 1 for a real token, 0 for padding.
    public let attentionMask: [Int]
    public let labels: BatchLabels
    /// The number of real tokens of each row.
    public let lengths: [Int]
    /// `rows × sequenceLength` segment ids when any example has them (0 on padding).
    public var tokenTypes: [Int]? = nil

    public var rows: Int { exampleIndices.count }
    /// Real (non-padding) tokens in the batch, for tokens-per-second figures.
    public var tokenCount: Int { lengths.reduce(0, +) }
    /// Positions whose label is trained (language modelling) or rows (classification): what
    /// the loss is averaged over.
    public var targetCount: Int {
        switch labels {
        case .tokens(let l): return l.lazy.filter { $0 != BatchCollator.ignoreIndex }.count
        case .classes(let c): return c.count
        case .values(let v): return v.count
        }
    }
}

/// Pads tokenised examples into a `Batch`.
public struct BatchCollator: Sendable {
    /// The label of positions the loss ignores, as PyTorch's `CrossEntropyLoss(ignore_index=-100)`.
    public static let ignoreIndex = -100

    /// The token id written into padding positions (masked out by the attention mask, so its
    /// value only has to be a valid id).
    public let padTokenID: Int

    public init(padTokenID: Int) {
        self.padTokenID = padTokenID
    }

    /// The batch of `examples[i]` for each i in `indices`, padded to the longest of them.
    /// All must be of one kind (all classification, all regression or all language modelling).
    public func collate(_ examples: [TokenizedExample], indices: [Int]) -> Batch {
        precondition(!indices.isEmpty, "a batch needs at least one example")
        let rows = indices.map { examples[$0] }
        let isClassification = rows[0].isSequenceExample
        let isRegression = rows[0].value != nil
        precondition(rows.allSatisfy { $0.isSequenceExample == isClassification && ($0.value != nil) == isRegression },
                     "a batch mixes classification, regression and language-modelling examples")
        let length = rows.map(\.tokens.count).max() ?? 0
        var ids = [Int](repeating: padTokenID, count: rows.count * length)
        var mask = [Int](repeating: 0, count: rows.count * length)
        var tokenLabels = isClassification ? [] : [Int](repeating: BatchCollator.ignoreIndex, count: rows.count * length)
        let hasTypes = rows.contains { $0.tokenTypes != nil }
        var types = hasTypes ? [Int](repeating: 0, count: rows.count * length) : []
        for (r, example) in rows.enumerated() {
            let base = r * length
            for (t, token) in example.tokens.enumerated() {
                ids[base + t] = token
                mask[base + t] = 1
                if hasTypes { types[base + t] = example.tokenTypes?[t] ?? 0 }
                if !isClassification && (example.targetMask?[t] ?? true) {
                    tokenLabels[base + t] = token
                }
            }
        }
        let labels: BatchLabels = isRegression ? .values(rows.map { $0.value ?? 0 })
            : isClassification ? .classes(rows.map { $0.label ?? 0 })
            : .tokens(tokenLabels)
        var batch = Batch(exampleIndices: indices, sequenceLength: length, tokenIDs: ids,
                          attentionMask: mask, labels: labels, lengths: rows.map(\.tokens.count))
        batch.tokenTypes = hasTypes ? types : nil
        return batch
    }
}
