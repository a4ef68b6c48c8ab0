import Adapters
/// What truncating a dataset to a maximum length did, to report before training starts.
public struct TruncationReport: Equatable, Sendable {
    /// Examples longer than the maximum length (cut to it).
    public var truncatedExamples = 0
    /// Tokens removed from those examples in all.
    public var removedTokens = 0
    /// Language-modelling examples left with no target token after cutting (their whole
    /// completion lay past the limit), which are dropped since they cannot teach anything.
    public var droppedExamples = 0
    /// The longest example before truncation.
    public var longestExample = 0

    public init() {}
}

/// Cuts examples to at most `maxLength` tokens, keeping the beginning (as Transformers' and
/// mlx_lm's loaders do), and counts what was lost.
public struct SequenceTruncation: Sendable {
    public let maxLength: Int

    /// Throws for a maximum length below 1.
    public init(maxLength: Int) throws {
        try SettingError.check("maxSequenceLength", maxLength, atLeast: 1)
        self.maxLength = maxLength
    }

    /// The examples cut to `maxLength`, with the indices (into `examples`) each kept one came
    /// from, and the report. Empty examples and language-modelling examples without any target
    /// left are dropped and counted.
    public func apply(_ examples: [TokenizedExample]) -> (examples: [TokenizedExample], sourceIndices: [Int], report: TruncationReport) {
        var report = TruncationReport()
        var kept: [TokenizedExample] = []
        var sources: [Int] = []
        kept.reserveCapacity(examples.count)
        for (index, example) in examples.enumerated() {
            var e = example
            report.longestExample = max(report.longestExample, e.tokens.count)
            if e.tokens.count > maxLength {
                report.truncatedExamples += 1
                report.removedTokens += e.tokens.count - maxLength
                e.tokens.removeLast(e.tokens.count - maxLength)
                if var mask = e.targetMask {
                    mask.removeLast(mask.count - maxLength)
                    e.targetMask = mask
                }
                if var types = e.tokenTypes {
                    types.removeLast(types.count - maxLength)
                    e.tokenTypes = types
                }
            }
            if e.tokens.isEmpty || (!e.isSequenceExample && e.targetCount == 0) {
                report.droppedExamples += 1
                continue
            }
            kept.append(e)
            sources.append(index)
        }
        return (kept, sources, report)
    }
}
