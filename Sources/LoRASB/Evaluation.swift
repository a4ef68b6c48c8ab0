import Adapters
import Distributed
import Foundation
import Models
import Tensor
import Tokenizers
import Training

/// Evaluations of a (possibly adapted) model: loss and perplexity, classification metrics
/// (task families' accuracies: `TaskEvaluation`).
public enum Evaluation {
    /// Mean loss over `examples` (per target token for decoders, per example for classifiers)
    /// and its perplexity. The processes of `communicator` each run their share of the batches;
    /// the batches' losses are summed in batch order, as one process sums them.
    public static func loss(_ model: LoadedModel, _ examples: [TokenizedExample], batchSize: Int,
                            communicator: any Communicator = SingleProcess()) throws -> (loss: Double, perplexity: Double, targets: Int) {
        let batches = try BatchLoader.evaluationBatches(examples, batchSize: batchSize, padTokenID: model.padTokenID)
        let losses = try communicator.map(units: batches.count) { i in
            Double(try model.network.loss(try TrainingBatch(batches[i]), backward: false))
        }
        var average = LossAverage()
        for (b, loss) in zip(batches, losses) { average.add(meanLoss: loss, count: b.targetCount) }
        return (average.mean, average.perplexity, average.count)
    }

    /// The predicted class of every example (in the order given).
    public static func predictions(_ model: LoadedModel, _ examples: [TokenizedExample], batchSize: Int,
                                   communicator: any Communicator = SingleProcess()) throws -> [Int] {
        try headOutputs(model, examples, batchSize: batchSize, communicator: communicator).map(predictedClass)
    }

    /// The index of the largest output (the first of equal ones).
    static func predictedClass(_ outputs: [Float]) -> Int {
        var best = 0
        for j in outputs.indices where outputs[j] > outputs[best] { best = j }
        return best
    }

    /// A one-output (regression) head's value for every example (in the order given).
    public static func regressionOutputs(_ model: LoadedModel, _ examples: [TokenizedExample], batchSize: Int,
                                         communicator: any Communicator = SingleProcess()) throws -> [Float] {
        try headOutputs(model, examples, batchSize: batchSize, communicator: communicator).map { $0[0] }
    }

    /// Every example's row of head outputs (in the order given): the classifier runs over
    /// `examples` in batches, each process of `communicator` its share of them.
    static func headOutputs(_ model: LoadedModel, _ examples: [TokenizedExample], batchSize: Int,
                            communicator: any Communicator) throws -> [[Float]] {
        let batches = try BatchLoader.evaluationBatches(examples, batchSize: batchSize, padTokenID: model.padTokenID)
        return try headPass(model, batches, exampleCount: examples.count, lossBatches: 0, communicator: communicator).outputs
    }

    /// One pass of the classifier over `batches` (drawn from `exampleCount` examples): every
    /// example's row of head outputs, and the loss of the first `lossBatches` batches taken
    /// from the same forward (the model's own loss, weighted by each batch's targets), so a
    /// validation that wants both runs the encoder once. Each process of `communicator` runs
    /// its share of the batches; the losses are summed in batch order, as one process sums them.
    static func headPass(_ model: LoadedModel, _ batches: [Batch], exampleCount: Int, lossBatches: Int,
                         communicator: any Communicator) throws -> (outputs: [[Float]], loss: LossAverage) {
        guard let classifier = model.classifier else {
            throw DataError(path: model.url.path, line: nil, "not a classification model")
        }
        // Doubles carry each float exactly through the gather's text.
        let results = try communicator.map(units: batches.count) { i -> HeadBatchResult in
            let batch = try TrainingBatch(batches[i])
            let logits: Tensor
            var loss: Double?
            if i < lossBatches, let targets = batch.targets {
                let measured = try classifier.lossAndLogits(batch.tokens, targets: targets)
                (logits, loss) = (measured.logits, Double(measured.loss))
            } else {
                logits = try classifier.logits(batch.tokens)
            }
            let k = logits.columns
            return HeadBatchResult(rows: (0..<batches[i].rows).map { row in (0..<k).map { Double(logits.pointer[row * k + $0]) } },
                                   loss: loss)
        }
        var outputs = [[Float]](repeating: [], count: exampleCount)
        var average = LossAverage()
        for (b, result) in zip(batches, results) {
            for (row, index) in b.exampleIndices.enumerated() { outputs[index] = result.rows[row].map { Float($0) } }
            if let loss = result.loss { average.add(meanLoss: loss, count: b.targetCount) }
        }
        return (outputs, average)
    }

    private struct HeadBatchResult: Codable {
        var rows: [[Double]]
        var loss: Double?
    }

    /// Classification scores under `metrics` (the first is the headline one).
    public static func classificationScores(predictions: [Int], references: [Int],
                                            metrics: [ClassificationMetric], positive: Int?) -> [(ClassificationMetric, Double)] {
        metrics.map { m in
            (m, ClassificationScores.score(m, predictions: predictions, references: references, positive: positive ?? 1))
        }
    }
}
