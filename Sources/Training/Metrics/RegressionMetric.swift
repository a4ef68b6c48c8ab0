/// A metric of a regression head, as GLUE reports STS-B: Pearson's r (the paper's) and
/// Spearman's ρ between predicted and reference scores.
public enum RegressionMetric: String, Sendable, CaseIterable, Codable {
    case pearson
    case spearman

    /// The metric of `predictions` against `references`; NaN where it is undefined (fewer than
    /// two examples, or a constant side).
    public func score(predictions: [Float], references: [Float]) -> Double {
        switch self {
        case .pearson: return Correlation.pearson(predictions, references) ?? .nan
        case .spearman: return Correlation.spearman(predictions, references) ?? .nan
        }
    }
}
