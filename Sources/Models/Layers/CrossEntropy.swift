import Foundation
import Tensor

/// Softmax cross-entropy over logit rows, averaged over the rows whose target is not ignored
/// (Transformers' `ignore_index = -100` convention).
public enum CrossEntropy {
    public static let ignoredLabel: Int32 = -100

    /// Mean loss over the counted rows; writes `∂loss/∂logits` into `gradient` (same shape as
    /// `logits`; may be `logits` itself) when given. Zero counted rows give loss 0, gradient 0.
    /// Targets must be in `0..<columns` or `ignoredLabel` (checked by the caller).
    public static func loss(logits: Tensor, targets: [Int32], gradient: Tensor?) -> Float {
        precondition(targets.count == logits.rows, "one target per logit row")
        let v = logits.columns, lp = logits.pointer
        let counted = targets.reduce(0) { $0 + ($1 == ignoredLabel ? 0 : 1) }
        var rowLoss = [Float](repeating: 0, count: targets.count)
        let scale: Float = counted > 0 ? 1 / Float(counted) : 0
        let gp = gradient?.pointer
        targets.withUnsafeBufferPointer { tb in
            rowLoss.withUnsafeMutableBufferPointer { rb in
                let tp = tb.baseAddress, rp = rb.baseAddress
                Parallel.forEachRow(targets.count, rowCost: v) { r in
                    guard let tp, let rp else { return }
                    let row = lp + r * v, t = tp[r]
                    if t == ignoredLabel {
                        if let gp { (gp + r * v).update(repeating: 0, count: v) }
                        return
                    }
                    var m = -Float.infinity
                    for j in 0..<v { m = max(m, row[j]) }
                    // A float running sum over a 50k vocabulary drifts by ~1e-4; sum in double.
                    var sum: Double = 0
                    for j in 0..<v { sum += Double(exp(row[j] - m)) }
                    let logSum = Float(log(sum)) + m
                    rp[r] = logSum - row[Int(t)]
                    if let gp {
                        let g = gp + r * v
                        for j in 0..<v { g[j] = exp(row[j] - logSum) * scale }
                        g[Int(t)] -= scale
                    }
                }
            }
        }
        var total: Double = 0
        for x in rowLoss { total += Double(x) }
        return Float(total) * scale
    }
}
