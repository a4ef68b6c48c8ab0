/// How tokens are chosen and when generation stops.
public struct GenerationOptions: Sendable {
    /// New tokens per sequence at most.
    public var maxNewTokens: Int = 128
    /// 0 = greedy (argmax); otherwise logits are divided by it before sampling.
    public var temperature: Float = 0
    /// Keep only the `topK` most likely tokens (0 = all).
    public var topK: Int = 0
    /// Keep the smallest set of tokens whose probability reaches `topP` (1 = all).
    public var topP: Float = 1
    /// Seed of the sampler (sampling is reproducible for a given seed).
    public var seed: UInt64 = 0
    /// Token ids that end a sequence (the model's EOS ids by default when empty).
    public var stopTokens: Set<Int> = []
    /// Do not stop on the model's end-of-sequence ids (to compare with a fixed-length run).
    public var ignoreEndOfSequence = false
    /// Sequences decoded together at most; a finished one's place goes to the next prompt
    /// (nil: every prompt at once).
    public var batchSize: Int?

    public init(maxNewTokens: Int = 128, temperature: Float = 0, topK: Int = 0, topP: Float = 1,
                seed: UInt64 = 0, stopTokens: Set<Int> = [], ignoreEndOfSequence: Bool = false,
                batchSize: Int? = nil) {
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.stopTokens = stopTokens
        self.ignoreEndOfSequence = ignoreEndOfSequence
        self.batchSize = batchSize
    }
}
