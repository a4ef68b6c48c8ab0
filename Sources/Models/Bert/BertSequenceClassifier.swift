import Foundation
import ModelIO
import NN
import Tensor

/// What a sequence-classification batch is scored against.
public enum SequenceTargets: Sendable {
    /// One class index per sequence (cross-entropy).
    case classes([Int])
    /// One value per sequence (regression, a single output, mean squared error).
    case values([Float])
}

/// An encoder with a sequence-classification head, as Transformers builds it:
/// BERT: `classifier(pooler(h[CLS]))`; RoBERTa: `out_proj(tanh(dense(h[first])))`.
/// One output is a regression (MSE loss), two or more are classes (cross-entropy).
public final class BertSequenceClassifier: AdaptableModel {
    public let encoder: BertModel
    /// RoBERTa's `classifier.dense` (nil for BERT).
    public let headDense: Linear?
    /// `classifier` (BERT) or `classifier.out_proj` (RoBERTa).
    public let classifier: Linear
    public var labelCount: Int { classifier.outFeatures }
    public let headParameters: [(name: String, parameter: Parameter)]
    /// Values of the head's parameters that the checkpoint did not hold (a new head).
    public let newParameterCount: Int

    private var firstRows = ActivationBuffer(), denseOutput = ActivationBuffer()
    private var denseGradient = ActivationBuffer()
    private let crossEntropy = SoftmaxCrossEntropy(), squaredError = MeanSquaredError()
    private var logitsBuffer = ActivationBuffer()
    private var lastBatch: (batch: Int, length: Int)?

    /// The head from `headWeights` (defaults to the encoder's checkpoint) under Transformers'
    /// names; when absent there, a fresh head of `labelCount` outputs (normal, std 0.02, zero
    /// bias, as Transformers initialises it) drawn from `seed`. The head is trainable.
    public init(encoder: BertModel, headWeights: WeightSource?, labelCount: Int? = nil,
                seed: UInt64 = 0) throws {
        self.encoder = encoder
        let d = encoder.config.hiddenSize
        var generator = SeededGenerator(seed: seed)
        var named: [(String, Parameter)] = []
        var created = 0
        func linear(_ name: String, outputs: Int?) throws -> Linear {
            let w: Tensor, b: Tensor
            if let src = headWeights, let shape = src.shapeOfTensor(name + ".weight") {
                guard shape.count == 2, shape[1] == d, shape[0] > 0, outputs.map({ $0 == shape[0] }) ?? true else {
                    throw ModelError.wrongShape(name: name + ".weight", expected: [outputs ?? -1, d],
                                                found: shape, source: src.sourceName)
                }
                w = try src.load(name + ".weight", shape: shape)
                b = try src.load(name + ".bias", shape: [shape[0]])
            } else {
                guard let outputs, outputs > 0, outputs <= 1 << 16 else {
                    throw ModelError.invalidConfiguration(
                        "no '\(name).weight' in the checkpoint: give the number of labels")
                }
                w = Tensor(zeros: [outputs, d])
                generator.fillNormal(w, standardDeviation: 0.02)
                b = Tensor(zeros: [outputs])
                created += w.count + b.count
            }
            let wp = Parameter(w, trainable: true), bp = Parameter(b, trainable: true)
            named += [(name + ".weight", wp), (name + ".bias", bp)]
            return Linear(weight: wp, bias: bp)
        }
        if encoder.config.isRoberta {
            headDense = try linear("classifier.dense", outputs: d)
            classifier = try linear("classifier.out_proj", outputs: labelCount)
        } else {
            guard encoder.pooler != nil else {
                throw ModelError.missingTensor(name: "bert.pooler.dense.weight", source: "encoder checkpoint")
            }
            headDense = nil
            classifier = try linear("classifier", outputs: labelCount)
        }
        headParameters = named
        newParameterCount = created
    }

    /// Opens a Hugging Face folder holding an encoder (with or without a trained head).
    public convenience init(contentsOf url: URL, labelCount: Int? = nil, seed: UInt64 = 0) throws {
        let files = try ModelFiles(url: url)
        let encoder = try BertModel(config: EncoderConfig(files.config, source: files.url.path), weights: files)
        try self.init(encoder: encoder, headWeights: files, labelCount: labelCount, seed: seed)
    }

    public var targetableLayers: [TargetableLinear] { encoder.targetableLayers }
    public var linearLayers: [Linear] { encoder.linearLayers + (headDense.map { [$0] } ?? []) + [classifier] }
    public var namedParameters: [(name: String, parameter: Parameter)] {
        encoder.namedParameters + headParameters
    }

    /// Logits `[batch, labelCount]`.
    public func logits(_ batch: TokenBatch) throws -> Tensor {
        let hidden = try encoder.hiddenStates(batch)
        lastBatch = (batch.batchSize, batch.length)
        let features: Tensor
        if let dense = headDense {
            let first = BertModel.firstTokens(hidden, batch: batch.batchSize, length: batch.length,
                                              into: &firstRows)
            let t = denseOutput.tensor(first.shape)
            t.copy(from: dense.forward(first))
            for i in 0..<t.count { t.pointer[i] = tanh(t.pointer[i]) }
            features = t
        } else {
            features = try encoder.pooledOutput(hidden)
        }
        let out = logitsBuffer.tensor([batch.batchSize, labelCount])
        out.copy(from: classifier.forward(features))
        return out
    }

    /// Loss without backward.
    public func loss(_ batch: TokenBatch, targets: SequenceTargets) throws -> Float {
        try loss(batch, targets: targets, backward: false).loss
    }

    /// Loss without backward, with the logits it was computed from (valid until the next
    /// forward): a validation pass scores the head's predictions from the same forward.
    public func lossAndLogits(_ batch: TokenBatch, targets: SequenceTargets) throws -> (loss: Float, logits: Tensor) {
        try loss(batch, targets: targets, backward: false)
    }

    /// Loss, then backward through head and encoder (trainable parameters accumulate).
    public func lossAndGradients(_ batch: TokenBatch, targets: SequenceTargets) throws -> Float {
        try loss(batch, targets: targets, backward: true).loss
    }

    private func loss(_ batch: TokenBatch, targets: SequenceTargets, backward: Bool) throws -> (loss: Float, logits: Tensor) {
        let logits = try self.logits(batch)
        let result: (loss: Float, gradient: Tensor)
        switch targets {
        case .classes(let labels):
            guard labelCount > 1 else {
                throw ModelError.invalidBatch("a one-output head is a regression: give values")
            }
            guard labels.count == batch.batchSize,
                  labels.allSatisfy({ ($0 >= 0 && $0 < labelCount) || $0 == SoftmaxCrossEntropy.ignoreIndex }) else {
                throw ModelError.invalidBatch("need \(batch.batchSize) labels in 0..<\(labelCount)")
            }
            let r = try crossEntropy(logits: logits, labels: labels)
            result = (r.loss, r.gradient)
        case .values(let values):
            guard labelCount == 1, values.count == batch.batchSize else {
                throw ModelError.invalidBatch("regression needs a one-output head and one value per sequence")
            }
            let r = try squaredError(predictions: logits, targets: values)
            result = (r.loss, r.gradient)
        }
        if backward { self.backward(logitsGradient: result.gradient) }
        return (result.loss, logits)
    }

    /// Backward from `∂loss/∂logits` of the last forward.
    public func backward(logitsGradient dLogits: Tensor) {
        guard let shape = lastBatch else { preconditionFailure("backward before forward") }
        let dFeatures = classifier.backward(dLogits)
        let dHidden = encoder.zeroedHiddenGradient()
        if let dense = headDense {
            let t = denseOutput.tensor(dFeatures.shape)
            let dPre = denseGradient.tensor(dFeatures.shape)
            for i in 0..<t.count { dPre.pointer[i] = dFeatures.pointer[i] * (1 - t.pointer[i] * t.pointer[i]) }
            BertModel.addFirstTokens(dense.backward(dPre), into: dHidden, batch: shape.batch, length: shape.length)
        } else {
            encoder.poolerBackward(dFeatures, into: dHidden)
        }
        encoder.backward(hiddenGradient: dHidden)
    }
}
