/// One example after tokenisation: token ids and what the loss is computed on.
///
/// For language modelling, `targetMask` marks the tokens whose prediction is trained (the
/// completion of a prompt/completion pair, the assistant turns of a chat); `nil` means every
/// token. For sequence classification, `label` is the class index and there is no target mask;
/// for sequence regression, `value` is the target.
public struct TokenizedExample: Equatable, Sendable {
    public var tokens: [Int]
    public var targetMask: [Bool]?
    public var label: Int?
    public var value: Float?
    /// Segment ids (BERT's token types: 0 for the first text of a pair, 1 for the second);
    /// nil means all 0.
    public var tokenTypes: [Int]?

    /// A language-modelling example; `targetMask` (one flag per token) defaults to all tokens.
    public init(tokens: [Int], targetMask: [Bool]? = nil) {
        precondition(targetMask == nil || targetMask?.count == tokens.count,
                     "target mask needs one flag per token")
        self.tokens = tokens
        self.targetMask = targetMask
        self.label = nil
    }

    /// A classification example of class `label`, with the segment ids of a text pair.
    public init(tokens: [Int], label: Int, tokenTypes: [Int]? = nil) {
        precondition(tokenTypes == nil || tokenTypes?.count == tokens.count,
                     "token types need one id per token")
        self.tokens = tokens
        self.targetMask = nil
        self.label = label
        self.tokenTypes = tokenTypes
    }

    /// A regression example with target `value`, with the segment ids of a text pair.
    public init(tokens: [Int], value: Float, tokenTypes: [Int]? = nil) {
        precondition(tokenTypes == nil || tokenTypes?.count == tokens.count,
                     "token types need one id per token")
        self.tokens = tokens
        self.targetMask = nil
        self.value = value
        self.tokenTypes = tokenTypes
    }

    /// Whether the example is scored as a whole sequence (a class or a value), not per token.
    public var isSequenceExample: Bool { label != nil || value != nil }

    /// A prompt/completion pair: the loss covers only the completion's tokens.
    public init(prompt: [Int], completion: [Int]) {
        self.init(tokens: prompt + completion,
                  targetMask: Array(repeating: false, count: prompt.count) + Array(repeating: true, count: completion.count))
    }

    /// How many tokens carry the loss (for language modelling).
    public var targetCount: Int {
        if isSequenceExample { return 0 }
        return targetMask.map { $0.lazy.filter { $0 }.count } ?? tokens.count
    }
}
