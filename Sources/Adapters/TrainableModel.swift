import Models
import NN

/// One batch of supervised examples: token rows plus what they are scored against.
/// Causal LMs carry per-token `labels` inside `tokens`; sequence classifiers carry `targets`.
public struct TrainingBatch: Sendable {
    public var tokens: TokenBatch
    public var targets: SequenceTargets?

    public init(tokens: TokenBatch, targets: SequenceTargets? = nil) {
        self.tokens = tokens
        self.targets = targets
    }

    /// The number of examples (rows) in the batch.
    public var sampleCount: Int { tokens.batchSize }

    /// Tokens that carry signal (attention mask ones): the throughput unit.
    public var realTokenCount: Int { Int(tokens.attentionMask.reduce(0, +)) }
}

/// A model the trainer and the LoRA-SB initialisation can run: forward, the model's own loss
/// and backward through every trainable parameter and adapter.
public protocol TrainableModel: AdaptableModel {
    /// The mean loss of `batch` as Transformers reports it; with `backward`, gradients of every
    /// trainable parameter are accumulated (added to what they hold).
    func loss(_ batch: TrainingBatch, backward: Bool) throws -> Float
    /// Parameters that train with every adapter method (a freshly added classification head),
    /// under their checkpoint names.
    var alwaysTrainedParameters: [(name: String, parameter: Parameter)] { get }
    /// Values of parameters the model's files do not hold (a freshly added head): they count
    /// among all parameters as PEFT counts them.
    var newParameterCount: Int { get }
}

extension LlamaModel: TrainableModel {
    public func loss(_ batch: TrainingBatch, backward: Bool) throws -> Float {
        backward ? try lossAndGradients(batch.tokens) : try loss(batch.tokens)
    }
    public var alwaysTrainedParameters: [(name: String, parameter: Parameter)] { [] }
}

extension TrainableModel {
    /// Most models hold every parameter in their files.
    public var newParameterCount: Int { 0 }
}

extension BertSequenceClassifier: TrainableModel {
    public func loss(_ batch: TrainingBatch, backward: Bool) throws -> Float {
        guard let targets = batch.targets else {
            throw ModelError.invalidBatch("a classification batch needs labels")
        }
        return backward ? try lossAndGradients(batch.tokens, targets: targets)
                        : try loss(batch.tokens, targets: targets)
    }
    /// The paper trains the classifier head along with the adapters.
    public var alwaysTrainedParameters: [(name: String, parameter: Parameter)] { headParameters }
}
