import Tensor

/// Softmax cross-entropy over rows of logits, with ignored positions as in PyTorch
/// (`ignore_index = -100`), reduced by the mean over counted (non-ignored) rows unless a
/// different normaliser is given.
///
/// The gradient `dlogits = (softmax − onehot) / normaliser` (zero rows for ignored positions)
/// goes into a buffer the loss owns, or over the logits themselves with `overwritingLogits`
/// (a 49k-word vocabulary makes logits the largest activation of a language model).
public final class SoftmaxCrossEntropy {
    public static let ignoreIndex = -100

    public struct Result {
        /// The reduced loss.
        public var loss: Float
        /// `∂loss/∂logits`, same shape as the logits.
        public var gradient: Tensor
        /// Rows that counted (labels other than the ignore index).
        public var countedRows: Int
    }

    private var gradientBuffer = ActivationBuffer()
    private var logSumExps = ActivationBuffer()

    public init() {}

    /// - Parameters:
    ///   - logits: `[..., classes]`, one row per label.
    ///   - labels: a class per row, or `ignoreIndex`.
    ///   - normalizer: the divisor of the summed loss; nil means the number of counted rows
    ///     (PyTorch's mean). A batch with no counted rows gives loss 0 and a zero gradient.
    /// - Throws: `NNError` when a label is out of range or the label count is wrong.
    public func callAsFunction(logits: Tensor, labels: [Int], normalizer: Float? = nil,
                               overwritingLogits: Bool = false) throws -> Result {
        let rows = logits.rows, classes = logits.columns
        if let n = normalizer { precondition(n > 0 && n.isFinite, "cross-entropy normalizer \(n) must be positive") }
        guard labels.count == rows else {
            throw NNError.shapeMismatch(what: "cross-entropy labels", expected: rows, got: labels.count)
        }
        var counted = 0
        for (i, label) in labels.enumerated() {
            if label == Self.ignoreIndex { continue }
            guard label >= 0 && label < classes else {
                throw NNError.labelOutOfRange(label: label, position: i, classes: classes)
            }
            counted += 1
        }
        let grad = overwritingLogits ? logits : gradientBuffer.tensor(logits.shape)
        let lse = logSumExps.tensor([rows])
        let logitsPointer = logits.pointer, gp = grad.pointer, lp = lse.pointer
        // Loss terms read the logits before the softmax may overwrite them.
        var total = 0.0
        for (i, label) in labels.enumerated() where label != Self.ignoreIndex {
            total -= Double(logitsPointer[i * classes + label])
        }
        RowKernels.softmax(logitsPointer, into: gp, rows: rows, columns: classes, logSumExp: lp)
        for (i, label) in labels.enumerated() where label != Self.ignoreIndex {
            total += Double(lp[i])
        }
        let divisor = normalizer ?? Float(max(counted, 1))
        let inverse = 1 / divisor
        labels.withUnsafeBufferPointer { lb in
            Parallel.forEachRow(rows, rowCost: classes) { r in
                let row = gp + r * classes
                let label = lb[r]
                if label == Self.ignoreIndex {
                    row.update(repeating: 0, count: classes)
                } else {
                    row[label] -= 1
                    RowKernels.scale(row, classes, by: inverse)
                }
            }
        }
        return Result(loss: counted == 0 ? 0 : Float(total / Double(divisor)), gradient: grad, countedRows: counted)
    }
}
