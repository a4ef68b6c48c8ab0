import Foundation

extension ModelConfig {
    /// `model_type` values of HF `config.json` this decoder understands.
    public static let supportedHuggingFaceModelTypes = ["bert", "roberta", "llama", "mistral", "qwen2"]

    /// Decodes the HF `config.json` at `url`.
    public init(huggingFaceConfigAt url: URL) throws {
        try self.init(huggingFaceConfig: JSONObject(contentsOf: url))
    }

    /// Decodes an HF `config.json` object. Optional keys take the defaults of the matching
    /// `transformers` configuration class.
    public init(huggingFaceConfig json: JSONObject) throws {
        let modelType = try json.required("model_type", json.string)
        let family: ModelFamily
        switch modelType {
        case "bert", "roberta": family = .bert
        case "llama", "mistral", "qwen2": family = .llama
        default:
            throw ModelIOError(json.path, "unsupported model_type \"\(modelType)\" (supported: \(ModelConfig.supportedHuggingFaceModelTypes.joined(separator: ", ")))")
        }
        let hidden = try json.required("hidden_size", json.int)
        let heads = try json.required("num_attention_heads", json.int)
        guard heads > 0 else { throw ModelIOError(json.path, "\"num_attention_heads\" must be positive, found \(heads)") }
        let headDimension: Int
        if let explicit = try json.int("head_dim") {
            headDimension = explicit
        } else {
            guard hidden % heads == 0 else {
                throw ModelIOError(json.path, "hidden_size \(hidden) is not divisible by num_attention_heads \(heads)")
            }
            headDimension = hidden / heads
        }
        let eos: [Int]
        if json.has("eos_token_id"), let list = try? json.intArray("eos_token_id") {
            eos = list
        } else {
            eos = try json.int("eos_token_id").map { [$0] } ?? []
        }

        switch family {
        case .bert:
            let isRoberta = modelType == "roberta"
            self.init(
                family: .bert, modelType: modelType, hiddenSize: hidden,
                layerCount: try json.required("num_hidden_layers", json.int),
                headCount: heads, kvHeadCount: heads, headDimension: headDimension,
                intermediateSize: try json.required("intermediate_size", json.int),
                vocabularySize: try json.required("vocab_size", json.int),
                maxPositions: try json.int("max_position_embeddings") ?? 512,
                normEpsilon: try json.double("layer_norm_eps") ?? 1e-12,
                ropeTheta: 10_000, ropeScaling: nil,
                tieWordEmbeddings: try json.bool("tie_word_embeddings") ?? true,
                attentionBias: true, mlpBias: true,
                hiddenActivation: try json.string("hidden_act") ?? "gelu",
                typeVocabularySize: try json.int("type_vocab_size") ?? 2,
                padTokenId: try json.int("pad_token_id") ?? (isRoberta ? 1 : 0),
                bosTokenId: try json.int("bos_token_id") ?? (isRoberta ? 0 : nil),
                eosTokenIds: eos.isEmpty && isRoberta ? [2] : eos)
        case .llama:
            let defaultPositions = ["llama": 2048, "mistral": 131_072, "qwen2": 32_768][modelType] ?? 2048
            // transformers 5 moves rope_theta and the scaling into "rope_parameters".
            let ropeParameters = try json.object("rope_parameters")
            let theta = try json.double("rope_theta") ?? ropeParameters?.double("rope_theta") ?? 10_000
            var scaling = try json.object("rope_scaling").map(ModelConfig.ropeScaling(from:))
            if scaling == nil, let p = ropeParameters, let type = try p.string("rope_type"), type != "default" {
                scaling = try ModelConfig.ropeScaling(from: p)
            }
            self.init(
                family: .llama, modelType: modelType, hiddenSize: hidden,
                layerCount: try json.required("num_hidden_layers", json.int),
                headCount: heads,
                kvHeadCount: try json.int("num_key_value_heads") ?? heads,
                headDimension: headDimension,
                intermediateSize: try json.required("intermediate_size", json.int),
                vocabularySize: try json.required("vocab_size", json.int),
                maxPositions: try json.int("max_position_embeddings") ?? defaultPositions,
                normEpsilon: try json.double("rms_norm_eps") ?? 1e-6,
                ropeTheta: theta, ropeScaling: scaling,
                tieWordEmbeddings: try json.bool("tie_word_embeddings") ?? false,
                attentionBias: modelType == "qwen2" ? true : (try json.bool("attention_bias") ?? false),
                mlpBias: try json.bool("mlp_bias") ?? false,
                hiddenActivation: try json.string("hidden_act") ?? "silu",
                typeVocabularySize: 0,
                padTokenId: try json.int("pad_token_id"),
                bosTokenId: try json.int("bos_token_id"),
                eosTokenIds: eos)
        }
        try validate(path: json.path)
    }

    /// Reads a `rope_scaling` object (`rope_type` or the older `type` names the kind).
    static func ropeScaling(from json: JSONObject) throws -> RopeScaling {
        guard let type = try json.string("rope_type") ?? json.string("type") else {
            throw json.error("rope_type", "is missing")
        }
        let factor = try json.double("factor") ?? 1
        guard factor > 0 else { throw json.error("factor", "must be positive, found \(factor)") }
        let scaling = RopeScaling(
            type: type, factor: factor,
            lowFrequencyFactor: try json.double("low_freq_factor"),
            highFrequencyFactor: try json.double("high_freq_factor"),
            originalMaxPositions: try json.int("original_max_position_embeddings"))
        if type == "llama3" {
            guard let low = scaling.lowFrequencyFactor, let high = scaling.highFrequencyFactor,
                  let original = scaling.originalMaxPositions
            else {
                throw ModelIOError(json.path, "llama3 rope_scaling needs low_freq_factor, high_freq_factor and original_max_position_embeddings")
            }
            guard low > 0, high > low, original > 0 else {
                throw ModelIOError(json.path, "llama3 rope_scaling needs 0 < low_freq_factor < high_freq_factor and a positive original_max_position_embeddings")
            }
        }
        return scaling
    }
}
