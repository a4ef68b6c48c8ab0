import Distributed
import Foundation
import Training

/// A sequence head's metrics on tokenised examples, as its layout asks: a classifier's under its
/// task's metrics (the paper's first), a regression head's Pearson and Spearman correlation.
enum HeadScores {
    /// The metrics a classification run reports when its task names none.
    static let defaultClassificationMetrics: [ClassificationMetric] = [.accuracy, .f1, .matthewsCorrelation]

    /// The headline metrics of `layout` first; with `allMetrics`, a classifier's other metrics
    /// follow them. The processes of `communicator` each score their share of the batches;
    /// the metrics are computed from every example's output, as in one process.
    static func scores(_ model: LoadedModel, _ examples: [TokenizedExample], layout: ClassificationLayout,
                       batchSize: Int, allMetrics: Bool = false,
                       communicator: any Communicator) throws -> [(name: String, value: Double)] {
        let outputs = try Evaluation.headOutputs(model, examples, batchSize: batchSize, communicator: communicator)
        return scores(outputs: outputs, examples: examples, layout: layout, allMetrics: allMetrics)
    }

    /// A validation of a head in one pass over `batches` (drawn from `examples`): the model's
    /// loss over the first `lossBatches` of them, as `Trainer.validationLoss` measures it, and
    /// the headline metrics over all, from the same forward.
    static func validation(_ model: LoadedModel, _ examples: [TokenizedExample], batches: [Batch], lossBatches: Int,
                           layout: ClassificationLayout,
                           communicator: any Communicator) throws -> (loss: Double, metrics: [(name: String, value: Double)]) {
        let pass = try Evaluation.headPass(model, batches, exampleCount: examples.count, lossBatches: lossBatches,
                                           communicator: communicator)
        return (pass.loss.mean, scores(outputs: pass.outputs, examples: examples, layout: layout, allMetrics: false))
    }

    /// The metrics of the head outputs `outputs` (one row per example of `examples`).
    static func scores(outputs: [[Float]], examples: [TokenizedExample], layout: ClassificationLayout,
                       allMetrics: Bool) -> [(name: String, value: Double)] {
        switch layout {
        case .regression:
            let references = examples.map { $0.value ?? .nan }
            return RegressionMetric.allCases.map { ($0.rawValue, $0.score(predictions: outputs.map { $0[0] }, references: references)) }
        case .classes(let labels, let task):
            let own = task?.metrics ?? []
            let headline = own.isEmpty ? defaultClassificationMetrics : own
            let metrics = allMetrics ? headline + ClassificationMetric.allCases.filter { !headline.contains($0) } : headline
            let references = examples.map { $0.label ?? -1 }
            let positive = task?.positiveLabel.flatMap { labels.firstIndex(of: $0) }
            return Evaluation.classificationScores(predictions: outputs.map(Evaluation.predictedClass), references: references,
                                                   metrics: metrics, positive: positive)
                .map { (name: $0.0.rawValue, value: $0.1) }
        }
    }
}
