import Foundation
import ModelIO
import NN

/// Hyperparameters of a Llama-family decoder (Llama, Mistral, Qwen2, SmolLM2).
public struct DecoderConfig: Equatable, Sendable {
    public var architecture: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var maxPositions: Int
    public var rmsNormEpsilon: Float
    public var ropeTheta: Float
    /// Long-context rescaling of the rotary frequencies; nil for none.
    public var ropeScaling: RotaryScaling?
    public var tieWordEmbeddings: Bool
    /// Biases on the q, k and v projections (Qwen2, or `attention_bias`).
    public var attentionBias: Bool
    /// Bias on the output projection too (`attention_bias` in Llama applies to all four).
    public var outputBias: Bool
    public var mlpBias: Bool
    public var slidingWindow: Int?
    public var bosTokenId: Int?
    public var eosTokenIds: [Int]
    public var padTokenId: Int?

    public init(architecture: String, vocabSize: Int, hiddenSize: Int, intermediateSize: Int,
                layerCount: Int, headCount: Int, kvHeadCount: Int, headDim: Int? = nil,
                maxPositions: Int, rmsNormEpsilon: Float, ropeTheta: Float,
                ropeScaling: RotaryScaling? = nil, tieWordEmbeddings: Bool,
                attentionBias: Bool = false, outputBias: Bool = false, mlpBias: Bool = false,
                slidingWindow: Int? = nil, bosTokenId: Int? = nil, eosTokenIds: [Int] = [],
                padTokenId: Int? = nil) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim ?? hiddenSize / max(1, headCount)
        self.maxPositions = maxPositions
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
        self.outputBias = outputBias
        self.mlpBias = mlpBias
        self.slidingWindow = slidingWindow
        self.bosTokenId = bosTokenId
        self.eosTokenIds = eosTokenIds
        self.padTokenId = padTokenId
    }

    /// `model_type` values handled by `LlamaModel`.
    public static let supportedModelTypes: Set<String> = ["llama", "mistral", "qwen2"]

    /// The decoder hyperparameters of a checkpoint configuration (from `config.json` or GGUF
    /// metadata). `source` names the checkpoint in errors.
    public init(_ c: ModelConfig, source: String) throws {
        guard c.family == .llama, DecoderConfig.supportedModelTypes.contains(c.modelType) else {
            throw ModelError.unsupportedArchitecture(
                "\(source): '\(c.modelType)' is not a supported decoder (llama, mistral, qwen2)")
        }
        guard c.hiddenActivation == "silu" else {
            throw ModelError.unsupportedArchitecture(
                "\(source): decoder activation '\(c.hiddenActivation)' (only silu is implemented)")
        }
        self.init(
            architecture: c.modelType, vocabSize: c.vocabularySize, hiddenSize: c.hiddenSize,
            intermediateSize: c.intermediateSize, layerCount: c.layerCount,
            headCount: c.headCount, kvHeadCount: c.kvHeadCount, headDim: c.headDimension,
            maxPositions: c.maxPositions, rmsNormEpsilon: Float(c.normEpsilon),
            ropeTheta: Float(c.ropeTheta),
            ropeScaling: try DecoderConfig.rotaryScaling(c.ropeScaling, source: source),
            tieWordEmbeddings: c.tieWordEmbeddings,
            attentionBias: c.attentionBias,
            // Llama's `attention_bias` covers o_proj too; Qwen2 has biases on q, k, v only.
            outputBias: c.attentionBias && c.modelType == "llama",
            mlpBias: c.mlpBias, slidingWindow: nil, bosTokenId: c.bosTokenId,
            eosTokenIds: c.eosTokenIds, padTokenId: c.padTokenId)
        try validate(source: source)
    }

    static func rotaryScaling(_ s: RopeScaling?, source: String) throws -> RotaryScaling? {
        guard let s else { return nil }
        switch s.type {
        case "default", "none": return nil
        case "linear":
            guard s.factor > 0 else {
                throw ModelError.invalidConfiguration("\(source): linear rope scaling needs a positive factor")
            }
            return .linear(factor: s.factor)
        case "llama3":
            guard s.factor > 0, let low = s.lowFrequencyFactor, let high = s.highFrequencyFactor,
                  high > low, let original = s.originalMaxPositions, original > 0 else {
                throw ModelError.invalidConfiguration(
                    "\(source): llama3 rope scaling needs factor, low_freq_factor < high_freq_factor and original_max_position_embeddings")
            }
            return .llama3(Llama3RopeScaling(factor: s.factor, lowFrequencyFactor: low,
                                             highFrequencyFactor: high,
                                             originalMaxPositionEmbeddings: original))
        default:
            throw ModelError.unsupportedArchitecture("\(source): rope scaling type '\(s.type)'")
        }
    }

    /// Checks the relations between sizes that the layers rely on.
    public func validate(source: String) throws {
        guard headCount > 0, kvHeadCount > 0, headCount % kvHeadCount == 0 else {
            throw ModelError.invalidConfiguration(
                "\(source): \(headCount) attention heads are not a multiple of \(kvHeadCount) key/value heads")
        }
        guard headDim > 0, headDim % 2 == 0 else {
            throw ModelError.invalidConfiguration("\(source): head dimension \(headDim) must be even")
        }
        guard vocabSize > 0, hiddenSize > 0, intermediateSize > 0, layerCount > 0,
              maxPositions > 0, maxPositions <= 1 << 22 else {
            throw ModelError.invalidConfiguration("\(source): sizes must be positive")
        }
    }
}
