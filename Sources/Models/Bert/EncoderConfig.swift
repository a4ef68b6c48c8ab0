import ModelIO

/// Hyperparameters of a BERT-family encoder (BERT, RoBERTa, MiniLM).
public struct EncoderConfig: Equatable, Sendable {
    public var architecture: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEpsilon: Float
    /// `gelu` (exact) or `gelu_new` / `gelu_pytorch_tanh` (tanh approximation).
    public var activation: String
    public var padTokenId: Int
    /// RoBERTa numbers positions from `padTokenId + 1` and pads at `padTokenId`.
    public var isRoberta: Bool

    public var headDim: Int { hiddenSize / headCount }

    /// The encoder hyperparameters of a checkpoint configuration.
    public init(_ c: ModelConfig, source: String) throws {
        guard c.family == .bert, ["bert", "roberta"].contains(c.modelType) else {
            throw ModelError.unsupportedArchitecture(
                "\(source): '\(c.modelType)' is not a supported encoder (bert, roberta)")
        }
        guard ["gelu", "gelu_new", "gelu_pytorch_tanh"].contains(c.hiddenActivation) else {
            throw ModelError.unsupportedArchitecture("\(source): encoder activation '\(c.hiddenActivation)'")
        }
        guard c.headCount > 0, c.hiddenSize % c.headCount == 0 else {
            throw ModelError.invalidConfiguration(
                "\(source): hidden size \(c.hiddenSize) is not divisible by \(c.headCount) heads")
        }
        architecture = c.modelType
        vocabSize = c.vocabularySize
        hiddenSize = c.hiddenSize
        intermediateSize = c.intermediateSize
        layerCount = c.layerCount
        headCount = c.headCount
        maxPositions = c.maxPositions
        typeVocabSize = max(1, c.typeVocabularySize)
        layerNormEpsilon = Float(c.normEpsilon)
        activation = c.hiddenActivation
        isRoberta = c.modelType == "roberta"
        padTokenId = c.padTokenId ?? (isRoberta ? 1 : 0)
        guard padTokenId >= 0, padTokenId < vocabSize else {
            throw ModelError.invalidConfiguration("\(source): pad token \(padTokenId) outside the vocabulary")
        }
    }

    /// Positions usable by a sequence (RoBERTa loses `padTokenId + 1` of the table).
    public var usablePositions: Int { isRoberta ? maxPositions - padTokenId - 1 : maxPositions }
}
