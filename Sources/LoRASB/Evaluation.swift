import Adapters
import Distributed
import Foundation
import Models
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
        try headOutputs(model, examples, batchSize: batchSize, communicator: communicator).map { p in
            var best = 0
            for j in p.indices where p[j] > p[best] { best = j }
            return best
        }
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
        guard let classifier = model.classifier else {
            throw DataError(path: model.url.path, line: nil, "not a classification model")
        }
        let batches = try BatchLoader.evaluationBatches(examples, batchSize: batchSize, padTokenID: model.padTokenID)
        // Doubles carry each float exactly through the gather's text.
        let rows = try communicator.map(units: batches.count) { i -> [[Double]] in
            let logits = try classifier.logits(try TrainingBatch(batches[i]).tokens)
            let k = logits.columns
            return (0..<batches[i].rows).map { row in (0..<k).map { Double(logits.pointer[row * k + $0]) } }
        }
        var out = [[Float]](repeating: [], count: examples.count)
        for (b, batchRows) in zip(batches, rows) {
            for (row, index) in b.exampleIndices.enumerated() { out[index] = batchRows[row].map { Float($0) } }
        }
        return out
    }

    /// Classification scores under `metrics` (the first is the headline one).
    public static func classificationScores(predictions: [Int], references: [Int],
                                            metrics: [ClassificationMetric], positive: Int?) -> [(ClassificationMetric, Double)] {
        metrics.map { m in
            (m, ClassificationScores.score(m, predictions: predictions, references: references, positive: positive ?? 1))
        }
    }
}
