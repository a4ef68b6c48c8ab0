import Tensor

/// A learnable tensor and its gradient.
///
/// Layers hold their weights as `Parameter`s so that the same weight can be shared by two
/// layers (tied input embedding and output projection) and so that freezing is a flag:
/// when `isTrainable` is false, backward passes skip all work for this parameter's gradient.
/// Gradients accumulate (`+=`) across backward calls until `zeroGradient()`, as in PyTorch,
/// which lets gradients be summed over several batches.
///
/// A frozen matrix may be held packed (quantised blocks, bf16, a mapped file's fp32: see
/// `PackedMatrix`): products and lookups decode it as they go and no fp32 copy exists. A
/// packed parameter that becomes trainable (and is not merely held fixed) is materialised to
/// a dense fp32 tensor here, once: the optimizer writes through `value`.
public final class Parameter {
    private enum Storage {
        case dense(Tensor)
        case packed(PackedMatrix)
    }
    private var storage: Storage

    /// The values as fp32. For a dense parameter this is its storage: write through it freely
    /// (shapes must stay what the layer expects). For a packed one it is a fresh fp32 copy
    /// each time, for the rare readers (an SVD of the weight, exports): writing into it changes
    /// nothing, so to change a packed parameter assign `value`, which makes it dense.
    public var value: Tensor {
        get {
            switch storage {
            case .dense(let t): return t
            case .packed(let m): return m.floatTensor()
            }
        }
        set { storage = .dense(newValue) }
    }

    /// Whether backward computes this parameter's gradient. A packed parameter becoming
    /// trainable becomes dense, unless it is held fixed.
    public var isTrainable: Bool {
        didSet {
            if !isTrainable { gradientStorage = nil }
            materialiseIfUpdated()
        }
    }
    /// Set while gradients are only measured, never applied (the LoRA-SB gradient estimate):
    /// the value stays as it is, so a packed weight stays packed and products may keep reading
    /// a rounded form of it (bf16). Set it before `isTrainable` to keep a packed weight packed.
    public var isHeldFixed = false {
        didSet { materialiseIfUpdated() }
    }
    private var gradientStorage: Tensor?

    public init(_ value: Tensor, trainable: Bool = false) {
        storage = .dense(value)
        isTrainable = trainable
    }

    /// A frozen parameter kept packed; `shape` is `[rows, columns]`.
    public init(packed matrix: PackedMatrix) {
        storage = .packed(matrix)
        isTrainable = false
    }

    public var shape: [Int] {
        switch storage {
        case .dense(let t): return t.shape
        case .packed(let m): return [m.rows, m.columns]
        }
    }

    /// The packed matrix, when the parameter is held packed.
    public var packed: PackedMatrix? {
        if case .packed(let m) = storage { return m }
        return nil
    }

    /// The dense fp32 tensor, when the parameter is held dense.
    public var dense: Tensor? {
        if case .dense(let t) = storage { return t }
        return nil
    }

    /// The values as a matrix for a product: the packed form, or the dense tensor seen as one.
    public var matrix: PackedMatrix { packed ?? DenseMatrix(value) }

    /// Bytes the values take (the packed form, or 4 per fp32 value); gradients not included.
    public var byteCount: Int {
        switch storage {
        case .dense(let t): return t.count * MemoryLayout<Float>.size
        case .packed(let m): return m.byteCount
        }
    }

    /// Replaces a packed form by its form for faster q8 products (`interleavedForQ8`), when it
    /// has one; the values stay the same.
    public func interleaveForQ8() {
        if case .packed(let m) = storage, let faster = m.interleavedForQ8() { storage = .packed(faster) }
    }

    /// Replaces a packed form by a dense fp32 tensor of the same values (kept when dense).
    public func materialise() {
        if case .packed(let m) = storage { storage = .dense(m.floatTensor()) }
    }

    private func materialiseIfUpdated() {
        if isTrainable && !isHeldFixed { materialise() }
    }

    /// The accumulated gradient, or nil when the parameter is frozen or no backward ran yet.
    public var gradient: Tensor? { gradientStorage }

    /// The gradient buffer for backward to accumulate into (allocated zeroed on first use).
    /// Only call this for trainable parameters.
    public func gradientForAccumulation() -> Tensor {
        precondition(isTrainable, "gradient requested for a frozen parameter")
        if let g = gradientStorage { return g }
        let g = Tensor(zeros: shape)
        gradientStorage = g
        return g
    }

    /// Sets the accumulated gradient to zero (keeps the buffer).
    public func zeroGradient() { gradientStorage?.zero() }
}
