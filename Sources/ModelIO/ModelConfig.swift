/// The family of network a checkpoint describes, which decides the model code that runs it.
public enum ModelFamily: String, Sendable, Equatable {
    /// Encoder with learned positions, post-LayerNorm and GELU MLP (BERT, RoBERTa).
    case bert
    /// Decoder with RoPE, pre-RMSNorm and SwiGLU MLP (Llama, Mistral, Qwen2, SmolLM).
    case llama
}

/// RoPE frequency scaling from `rope_scaling` (HF) or `<arch>.rope.scaling.*` (GGUF).
///
/// The Llama-3 form (`rope_type` "llama3") stretches low frequencies by `factor`, keeps high
/// ones, and interpolates between `lowFrequencyFactor` and `highFrequencyFactor` wavelengths
/// relative to `originalMaxPositions`.
public struct RopeScaling: Sendable, Equatable {
    /// `llama3`, `linear`, `dynamic`, `yarn`, ...
    public var type: String
    public var factor: Double
    public var lowFrequencyFactor: Double?
    public var highFrequencyFactor: Double?
    public var originalMaxPositions: Int?

    public init(type: String, factor: Double, lowFrequencyFactor: Double? = nil,
                highFrequencyFactor: Double? = nil, originalMaxPositions: Int? = nil) {
        self.type = type
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalMaxPositions = originalMaxPositions
    }
}

/// The hyper-parameters of a transformer checkpoint, read from HF `config.json` or from GGUF
/// metadata, in one vocabulary for the model code.
public struct ModelConfig: Sendable, Equatable {
    public var family: ModelFamily
    /// The checkpoint's own name for its architecture: `bert`, `roberta`, `llama`, `mistral`,
    /// `qwen2` (HF `model_type` or GGUF `general.architecture`).
    public var modelType: String
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    /// Key/value heads (grouped-query attention); equals `headCount` without GQA.
    public var kvHeadCount: Int
    /// Width of one attention head (usually `hiddenSize / headCount`).
    public var headDimension: Int
    public var intermediateSize: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    /// LayerNorm (BERT) or RMSNorm (Llama) epsilon.
    public var normEpsilon: Double
    /// RoPE base frequency (decoders).
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling?
    /// Whether the output projection shares the token embedding matrix.
    public var tieWordEmbeddings: Bool
    /// Whether q/k/v projections carry biases (Qwen2: yes; Llama: usually no).
    public var attentionBias: Bool
    /// Whether MLP projections carry biases (decoders).
    public var mlpBias: Bool
    /// The activation: `gelu`, `silu`, `gelu_new`, `relu`, ...
    public var hiddenActivation: String
    /// Token-type (segment) embedding rows (BERT); 0 when absent.
    public var typeVocabularySize: Int
    public var padTokenId: Int?
    public var bosTokenId: Int?
    /// End-of-sequence ids (Llama 3 lists several).
    public var eosTokenIds: [Int]

    public init(family: ModelFamily, modelType: String, hiddenSize: Int, layerCount: Int,
                headCount: Int, kvHeadCount: Int, headDimension: Int, intermediateSize: Int,
                vocabularySize: Int, maxPositions: Int, normEpsilon: Double, ropeTheta: Double,
                ropeScaling: RopeScaling? = nil, tieWordEmbeddings: Bool, attentionBias: Bool,
                mlpBias: Bool = false, hiddenActivation: String, typeVocabularySize: Int = 0,
                padTokenId: Int? = nil, bosTokenId: Int? = nil, eosTokenIds: [Int] = []) {
        self.family = family
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDimension = headDimension
        self.intermediateSize = intermediateSize
        self.vocabularySize = vocabularySize
        self.maxPositions = maxPositions
        self.normEpsilon = normEpsilon
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
        self.mlpBias = mlpBias
        self.hiddenActivation = hiddenActivation
        self.typeVocabularySize = typeVocabularySize
        self.padTokenId = padTokenId
        self.bosTokenId = bosTokenId
        self.eosTokenIds = eosTokenIds
    }

    /// Checks the sizes are positive and consistent; `path` names the source in errors.
    public func validate(path: String) throws {
        let positives: [(String, Int)] = [
            ("hidden size", hiddenSize), ("layer count", layerCount), ("head count", headCount),
            ("key/value head count", kvHeadCount), ("head dimension", headDimension),
            ("intermediate size", intermediateSize), ("vocabulary size", vocabularySize),
            ("maximum positions", maxPositions),
        ]
        for (what, value) in positives where value <= 0 {
            throw ModelIOError(path, "\(what) must be positive, found \(value)")
        }
        for (what, value) in positives where value > 1 << 24 {
            throw ModelIOError(path, "\(what) \(value) is implausibly large")
        }
        guard headCount % kvHeadCount == 0 else {
            throw ModelIOError(path, "head count \(headCount) is not a multiple of the key/value head count \(kvHeadCount)")
        }
        guard normEpsilon > 0, normEpsilon.isFinite else {
            throw ModelIOError(path, "norm epsilon must be positive, found \(normEpsilon)")
        }
        if family == .llama {
            guard ropeTheta > 0, ropeTheta.isFinite else {
                throw ModelIOError(path, "RoPE theta must be positive, found \(ropeTheta)")
            }
            guard headDimension % 2 == 0 else {
                throw ModelIOError(path, "RoPE needs an even head dimension, found \(headDimension)")
            }
        }
    }
}
