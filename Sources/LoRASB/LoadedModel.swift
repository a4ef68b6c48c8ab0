import Adapters
import Foundation
import ModelIO
import Models
import NN
import Tokenizers

/// What a model is fine-tuned for, decided by its architecture: decoders learn next-token
/// prediction, encoders a sequence-classification head.
public enum TaskKind: String, Codable, Sendable {
    case causalLM = "causal-lm"
    case sequenceClassification = "sequence-classification"

    /// PEFT's `task_type`.
    public var peftTaskType: String { self == .causalLM ? "CAUSAL_LM" : "SEQ_CLS" }
}

/// A model opened from an HF folder or a GGUF file, with its tokenizer.
public final class LoadedModel {
    public let url: URL
    public let files: ModelFiles
    public let tokenizer: Tokenizer
    public let task: TaskKind
    /// The network, as the trainer drives it.
    public let network: TrainableModel
    /// The decoder, when the model is one (generation).
    public var decoder: LlamaModel? { network as? LlamaModel }
    /// The classifier, when the model is one.
    public var classifier: BertSequenceClassifier? { network as? BertSequenceClassifier }
    /// All parameters: the files' and a new head's.
    public var parameterCount: Int { files.parameterCount + network.newParameterCount }

    /// Opens `url`. Encoders get a classification head of `labelCount` outputs (fresh, from
    /// `seed`, unless the checkpoint has one).
    public convenience init(_ url: URL, labelCount: Int? = nil, seed: UInt64 = 0) throws {
        try self.init(files: ModelFiles(url: url), labelCount: labelCount, seed: seed)
    }

    /// Builds the network and tokenizer from files already opened (see `ModelOpening`).
    public init(files: ModelFiles, labelCount: Int? = nil, seed: UInt64 = 0) throws {
        url = files.url
        self.files = files
        tokenizer = try Tokenizer.load(files: files)
        switch files.config.family {
        case .llama:
            task = .causalLM
            network = try LlamaModel(files: files)
        case .bert:
            task = .sequenceClassification
            let encoder = try BertModel(config: EncoderConfig(files.config, source: files.url.path), weights: files)
            network = try BertSequenceClassifier(encoder: encoder, headWeights: files,
                                                 labelCount: labelCount, seed: seed)
        }
    }

    /// What an adapter records to recognise this base model.
    public var identity: BaseModelIdentity {
        let c = files.config
        return BaseModelIdentity(path: url.path, architecture: c.modelType, layers: c.layerCount,
                                 hiddenSize: c.hiddenSize, vocabSize: c.vocabularySize,
                                 parameters: files.parameterCount)
    }

    /// The default adapter targets: the paper's (all seven projections of a decoder; query,
    /// value, attention output and FFN output of an encoder).
    public var defaultTargets: [String] { LoadedModel.defaultTargets(for: files.config.family) }

    /// The paper's targets for a model family, known from its config alone.
    public static func defaultTargets(for family: ModelFamily) -> [String] {
        family == .llama ? ["q", "k", "v", "o", "gate", "up", "down"] : ["query", "value", "attn_out", "ffn_out"]
    }

    /// The id padding positions get (masked out; any valid id works).
    public var padTokenID: Int {
        tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0
    }
}
