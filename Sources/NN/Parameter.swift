import Tensor

/// A learnable tensor and its gradient.
///
/// Layers hold their weights as `Parameter`s so that the same weight can be shared by two
/// layers (tied input embedding and output projection) and so that freezing is a flag:
/// when `isTrainable` is false, backward passes skip all work for this parameter's gradient.
/// Gradients accumulate (`+=`) across backward calls until `zeroGradient()`, as in PyTorch,
/// which lets gradients be summed over several batches.
public final class Parameter {
    /// The values. Replace or write through it freely; shapes must stay what the layer expects.
    public var value: Tensor
    /// Whether backward computes this parameter's gradient.
    public var isTrainable: Bool {
        didSet { if !isTrainable { gradientStorage = nil } }
    }
    /// Set while gradients are only measured, never applied (the LoRA-SB gradient estimate):
    /// the value stays as it is, so products may keep reading a rounded copy of it (bf16).
    public var isHeldFixed = false
    private var gradientStorage: Tensor?

    public init(_ value: Tensor, trainable: Bool = false) {
        self.value = value
        self.isTrainable = trainable
    }

    public var shape: [Int] { value.shape }

    /// The accumulated gradient, or nil when the parameter is frozen or no backward ran yet.
    public var gradient: Tensor? { gradientStorage }

    /// The gradient buffer for backward to accumulate into (allocated zeroed on first use).
    /// Only call this for trainable parameters.
    public func gradientForAccumulation() -> Tensor {
        precondition(isTrainable, "gradient requested for a frozen parameter")
        if let g = gradientStorage { return g }
        let g = Tensor(zeros: value.shape)
        gradientStorage = g
        return g
    }

    /// Sets the accumulated gradient to zero (keeps the buffer).
    public func zeroGradient() { gradientStorage?.zero() }
}
