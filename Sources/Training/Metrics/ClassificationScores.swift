import Foundation

/// Classification metrics over class indices, computed as scikit-learn computes them.
public enum ClassificationScores {
    /// The fraction of predictions equal to their reference (0 for no examples).
    public static func accuracy(predictions: [Int], references: [Int]) -> Double {
        precondition(predictions.count == references.count, "one prediction per reference")
        if predictions.isEmpty { return 0 }
        return Double(zip(predictions, references).filter { $0 == $1 }.count) / Double(predictions.count)
    }

    /// F1 of class `positive` (`f1_score(average="binary")`): 2·TP / (2·TP + FP + FN), and 0 when
    /// that is 0/0 (no positive predicted or present; sklearn's `zero_division` default).
    public static func binaryF1(predictions: [Int], references: [Int], positive: Int = 1) -> Double {
        precondition(predictions.count == references.count, "one prediction per reference")
        var tp = 0, fp = 0, fn = 0
        for (p, r) in zip(predictions, references) {
            if p == positive && r == positive { tp += 1 }
            else if p == positive { fp += 1 }
            else if r == positive { fn += 1 }
        }
        let denominator = 2 * tp + fp + fn
        return denominator == 0 ? 0 : Double(2 * tp) / Double(denominator)
    }

    /// The Matthews correlation coefficient (`matthews_corrcoef`, multiclass form, from the
    /// confusion matrix). 0 when either side is constant (the 0/0 case sklearn maps to 0).
    public static func matthewsCorrelation(predictions: [Int], references: [Int]) -> Double {
        precondition(predictions.count == references.count, "one prediction per reference")
        let classes = Array(Set(predictions).union(references))
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var trueSum = [Double](repeating: 0, count: classes.count)
        var predictedSum = [Double](repeating: 0, count: classes.count)
        var correct = 0.0
        for (p, r) in zip(predictions, references) {
            guard let pi = index[p], let ri = index[r] else { continue }
            predictedSum[pi] += 1
            trueSum[ri] += 1
            if p == r { correct += 1 }
        }
        let samples = Double(predictions.count)
        let dotTP = zip(trueSum, predictedSum).reduce(0) { $0 + $1.0 * $1.1 }
        let covariance = correct * samples - dotTP
        let predictedVariance = samples * samples - predictedSum.reduce(0) { $0 + $1 * $1 }
        let trueVariance = samples * samples - trueSum.reduce(0) { $0 + $1 * $1 }
        if predictedVariance * trueVariance == 0 { return 0 }
        return covariance / (trueVariance * predictedVariance).squareRoot()
    }

    /// The named metric (`positive` is the class F1 counts as positive).
    public static func score(_ metric: ClassificationMetric, predictions: [Int], references: [Int],
                             positive: Int = 1) -> Double {
        switch metric {
        case .accuracy: return accuracy(predictions: predictions, references: references)
        case .f1: return binaryF1(predictions: predictions, references: references, positive: positive)
        case .matthewsCorrelation: return matthewsCorrelation(predictions: predictions, references: references)
        }
    }
}
