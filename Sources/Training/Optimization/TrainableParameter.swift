import Tensor

/// A tensor the optimizer updates, with the tensor its gradient is accumulated into.
///
/// Both are views the model owns: the optimizer writes the new values through `value`'s storage
/// and reads `gradient` in place, so nothing is copied per step.
public struct TrainableParameter: @unchecked Sendable {
    /// A stable name (the checkpoint key), used to match optimizer state on restore.
    public let name: String
    public let value: Tensor
    public let gradient: Tensor
    /// Decoupled weight decay for this tensor. Trainers commonly exempt biases and norm weights
    /// (set 0); `nil` uses the optimizer's default.
    public let weightDecay: Double?

    public init(name: String, value: Tensor, gradient: Tensor, weightDecay: Double? = nil) {
        precondition(value.shape == gradient.shape,
                     "parameter \(name): gradient shape \(gradient.shape) differs from value shape \(value.shape)")
        self.name = name
        self.value = value
        self.gradient = gradient
        self.weightDecay = weightDecay
    }
}
