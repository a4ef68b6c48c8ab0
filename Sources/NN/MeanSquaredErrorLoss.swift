import Tensor

/// Mean squared error `mean((prediction − target)²)` over every element, for regression heads
/// (e.g. STS-B-style scores), with its gradient `2 (prediction − target) / n`.
public final class MeanSquaredError {
    public struct Result {
        public var loss: Float
        /// `∂loss/∂predictions`, shaped like the predictions; owned by the loss.
        public var gradient: Tensor
    }

    private var gradientBuffer = ActivationBuffer()

    public init() {}

    /// - Throws: `NNError.shapeMismatch` when the target count differs from the predictions'.
    public func callAsFunction(predictions: Tensor, targets: [Float]) throws -> Result {
        let n = predictions.count
        guard targets.count == n else {
            throw NNError.shapeMismatch(what: "regression targets", expected: n, got: targets.count)
        }
        let grad = gradientBuffer.tensor(predictions.shape)
        var total = 0.0
        let scale = 2 / Float(max(n, 1))
        for i in 0..<n {
            let diff = predictions.pointer[i] - targets[i]
            total += Double(diff) * Double(diff)
            grad.pointer[i] = scale * diff
        }
        return Result(loss: n == 0 ? 0 : Float(total / Double(n)), gradient: grad)
    }
}
