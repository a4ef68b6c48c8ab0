/// The correlation metrics GLUE reports for STS-B, as SciPy's `pearsonr` and `spearmanr` compute
/// them (the GLUE metric code calls those). Sums are in Double so that long float vectors keep
/// their precision.
public enum Correlation {
    /// Pearson's r; nil for fewer than two pairs or a constant side (r is undefined there).
    public static func pearson(_ x: [Float], _ y: [Float]) -> Double? {
        pearson(doubles: x.map(Double.init), y.map(Double.init))
    }

    static func pearson(doubles x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count, "pearson: one prediction per reference")
        guard x.count >= 2 else { return nil }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// Spearman's ρ: Pearson's r of the ranks, tied values sharing the average of their ranks.
    public static func spearman(_ x: [Float], _ y: [Float]) -> Double? {
        precondition(x.count == y.count, "spearman: one prediction per reference")
        return pearson(doubles: averageRanks(x), averageRanks(y))
    }

    /// 1-based ranks; each run of equal values gets the mean of the ranks it spans.
    public static func averageRanks(_ v: [Float]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var ranks = [Double](repeating: 0, count: v.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && v[order[end]] == v[order[start]] { end += 1 }
            let rank = Double(start + end + 1) / 2   // mean of start+1 … end
            for k in start..<end { ranks[order[k]] = rank }
            start = end
        }
        return ranks
    }
}
