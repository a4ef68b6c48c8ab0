import Foundation

/// 95% confidence intervals for accuracies: how far the accuracy measured on n examples may be
/// from the model's true accuracy on the whole distribution.
public enum BinomialInterval {
    /// The normal quantile of a two-sided 95% interval.
    public static let z95 = 1.959963984540054

    /// The Wilson score interval of `correct` successes in `total` trials, which (unlike
    /// p ± z·√(p(1−p)/n)) stays inside [0, 1] and does not collapse to a point at 0 or n
    /// successes. (0, 1) for no trials.
    public static func wilson(correct: Int, total: Int, z: Double = z95) -> (low: Double, high: Double) {
        guard total > 0 else { return (0, 1) }
        let n = Double(total), p = Double(correct) / n, z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return (max(0, centre - half), min(1, centre + half))
    }

    /// The interval of the unweighted mean of several independent accuracies (the paper's
    /// average over sets): mean ± z·√(Σ pᵢ(1−pᵢ)/nᵢ)/k, clipped to [0, 1].
    public static func mean(of sets: [(correct: Int, total: Int)], z: Double = z95) -> (mean: Double, low: Double, high: Double) {
        let counted = sets.filter { $0.total > 0 }
        guard !counted.isEmpty else { return (0, 0, 1) }
        let k = Double(counted.count)
        let ps = counted.map { Double($0.correct) / Double($0.total) }
        let mean = ps.reduce(0, +) / k
        let variance = zip(ps, counted).reduce(0.0) { $0 + $1.0 * (1 - $1.0) / Double($1.1.total) }
        let half = z * variance.squareRoot() / k
        return (mean, max(0, mean - half), min(1, mean + half))
    }
}
