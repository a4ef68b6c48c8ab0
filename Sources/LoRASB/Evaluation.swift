import Adapters
import Foundation
import Models
import Tokenizers
import Training

/// Evaluations of a (possibly adapted) model: loss and perplexity, classification metrics
/// (task families' accuracies: `TaskEvaluation`).
public enum Evaluation {
    /// Mean loss over `examples` (per target token for decoders, per example for classifiers)
    /// and its perplexity.
    public static func loss(_ model: LoadedModel, _ examples: [TokenizedExample],
                            batchSize: Int) throws -> (loss: Double, perplexity: Double, targets: Int) {
        let batches = try BatchLoader.evaluationBatches(examples, batchSize: batchSize, padTokenID: model.padTokenID)
        var average = LossAverage()
        for b in batches {
            average.add(meanLoss: Double(try model.network.loss(try TrainingBatch(b), backward: false)),
                        count: b.targetCount)
        }
        return (average.mean, average.perplexity, average.count)
    }

    /// The predicted class of every example (in the order given).
    public static func predictions(_ model: LoadedModel, _ examples: [TokenizedExample],
                                   batchSize: Int) throws -> [Int] {
        var out = [Int](repeating: 0, count: examples.count)
        try forEachHeadOutput(model, examples, batchSize: batchSize) { index, p, k in
            var best = 0
            for j in 1..<max(k, 1) where p[j] > p[best] { best = j }
            out[index] = best
        }
        return out
    }

    /// A one-output (regression) head's value for every example (in the order given).
    public static func regressionOutputs(_ model: LoadedModel, _ examples: [TokenizedExample],
                                         batchSize: Int) throws -> [Float] {
        var out = [Float](repeating: 0, count: examples.count)
        try forEachHeadOutput(model, examples, batchSize: batchSize) { index, p, _ in out[index] = p[0] }
        return out
    }

    /// Runs the classifier over `examples` in batches and hands each example's index and its
    /// row of head outputs (pointer, count) to `body`.
    static func forEachHeadOutput(_ model: LoadedModel, _ examples: [TokenizedExample], batchSize: Int,
                                  _ body: (Int, UnsafeMutablePointer<Float>, Int) -> Void) throws {
        guard let classifier = model.classifier else {
            throw DataError(path: model.url.path, line: nil, "not a classification model")
        }
        let batches = try BatchLoader.evaluationBatches(examples, batchSize: batchSize, padTokenID: model.padTokenID)
        for b in batches {
            let logits = try classifier.logits(try TrainingBatch(b).tokens)
            let k = logits.columns
            for (row, index) in b.exampleIndices.enumerated() { body(index, logits.pointer + row * k, k) }
        }
    }

    /// Classification scores under `metrics` (the first is the headline one).
    public static func classificationScores(predictions: [Int], references: [Int],
                                            metrics: [ClassificationMetric], positive: Int?) -> [(ClassificationMetric, Double)] {
        metrics.map { m in
            (m, ClassificationScores.score(m, predictions: predictions, references: references, positive: positive ?? 1))
        }
    }
}
