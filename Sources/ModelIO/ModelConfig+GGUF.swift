extension ModelConfig {
    /// `general.architecture` values this decoder understands.
    public static let supportedGGUFArchitectures = ["llama", "mistral", "qwen2", "bert"]

    /// Decodes the hyper-parameters of a GGUF file from its `<arch>.*` metadata and tensors.
    ///
    /// The vocabulary size is the length of `tokenizer.ggml.tokens` (falling back to
    /// `<arch>.vocab_size`); embeddings count as tied when there is no `output.weight`; attention
    /// bias is read from the presence of `blk.0.attn_q.bias`.
    public init(gguf: GGUFFile) throws {
        let path = gguf.url.path
        guard let arch = gguf.architecture else {
            throw ModelIOError(path, "metadata has no general.architecture string")
        }
        let family: ModelFamily
        switch arch {
        case "llama", "mistral", "qwen2": family = .llama
        case "bert": family = .bert
        default:
            throw ModelIOError(path, "unsupported general.architecture \"\(arch)\" (supported: \(ModelConfig.supportedGGUFArchitectures.joined(separator: ", ")))")
        }
        func value(_ key: String) -> GGUFValue? { gguf.metadata["\(arch).\(key)"] }
        func int(_ key: String) throws -> Int? {
            guard let v = value(key) else { return nil }
            guard let i = v.intValue else { throw ModelIOError(path, "\(arch).\(key) should be an integer, found \(v)") }
            return i
        }
        func required(_ key: String) throws -> Int {
            guard let i = try int(key) else { throw ModelIOError(path, "metadata \(arch).\(key) is missing") }
            return i
        }
        func double(_ key: String) throws -> Double? {
            guard let v = value(key) else { return nil }
            guard let d = v.doubleValue else { throw ModelIOError(path, "\(arch).\(key) should be a number, found \(v)") }
            return d
        }
        func tokenId(_ key: String) -> Int? { gguf.metadata["tokenizer.ggml.\(key)"]?.intValue }

        let hidden = try required("embedding_length")
        let heads = try required("attention.head_count")
        guard heads > 0 else { throw ModelIOError(path, "\(arch).attention.head_count must be positive") }
        let headDimension: Int
        if let d = try int("attention.key_length") ?? int("rope.dimension_count") {
            headDimension = d
        } else {
            guard hidden % heads == 0 else {
                throw ModelIOError(path, "embedding_length \(hidden) is not divisible by head_count \(heads)")
            }
            headDimension = hidden / heads
        }
        let vocabulary: Int
        if let tokens = gguf.metadata["tokenizer.ggml.tokens"]?.array {
            vocabulary = tokens.count
        } else {
            vocabulary = try required("vocab_size")
        }
        var scaling: RopeScaling?
        if let type = value("rope.scaling.type")?.stringValue, type != "none" {
            scaling = RopeScaling(type: type, factor: try double("rope.scaling.factor") ?? 1,
                                  originalMaxPositions: try int("rope.scaling.original_context_length"))
        }
        let eps = family == .bert
            ? try double("attention.layer_norm_epsilon") ?? 1e-12
            : try double("attention.layer_norm_rms_epsilon") ?? 1e-5
        self.init(
            family: family, modelType: arch, hiddenSize: hidden,
            layerCount: try required("block_count"),
            headCount: heads,
            kvHeadCount: try int("attention.head_count_kv") ?? heads,
            headDimension: headDimension,
            intermediateSize: try required("feed_forward_length"),
            vocabularySize: vocabulary,
            maxPositions: try required("context_length"),
            normEpsilon: eps,
            ropeTheta: try double("rope.freq_base") ?? 10_000,
            ropeScaling: scaling,
            tieWordEmbeddings: family == .llama ? !gguf.contains("output.weight") : true,
            attentionBias: family == .bert || gguf.contains("blk.0.attn_q.bias"),
            mlpBias: family == .bert || gguf.contains("blk.0.ffn_up.bias"),
            hiddenActivation: family == .bert ? "gelu" : "silu",
            typeVocabularySize: family == .bert ? ((try? gguf.info(named: "token_types.weight"))?.shape.first ?? 0) : 0,
            padTokenId: tokenId("padding_token_id"),
            bosTokenId: tokenId("bos_token_id"),
            eosTokenIds: tokenId("eos_token_id").map { [$0] } ?? [])
        try validate(path: path)
    }
}
