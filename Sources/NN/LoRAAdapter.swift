import Tensor

/// Classic LoRA: `Δ(x) = s · B A x` with `B` `[out, r]`, `A` `[r, in]`, both trainable, and
/// `s = alpha / r` chosen by the caller.
///
/// Row form, as computed (`LowRankProduct` over the chain `A, B`): `u = x Aᵀ` `[n, r]`,
/// `y += s · u Bᵀ`.
public final class LoRAAdapter: LinearAdapter {
    public let b: Parameter
    public let a: Parameter
    public var scale: Float
    public let rank: Int
    public var inFeatures: Int { a.shape[1] }
    public var outFeatures: Int { b.shape[0] }
    public var parameters: [Parameter] { [b, a] }

    private var input: Tensor?
    private var projected = ActivationBuffer()          // u = x Aᵀ
    private var projectedGradient = ActivationBuffer()  // du

    /// `b` `[out, r]`, `a` `[r, in]`, both trainable.
    public init(b: Tensor, a: Tensor, scale: Float) {
        precondition(b.rank == 2 && a.rank == 2 && b.shape[1] == a.shape[0],
                     "LoRA shapes B \(b.shape), A \(a.shape) do not chain")
        self.b = Parameter(b, trainable: true)
        self.a = Parameter(a, trainable: true)
        self.scale = scale
        self.rank = a.shape[0]
    }

    public func forward(_ x: Tensor, addingInto y: Tensor) {
        precondition(x.columns == inFeatures && y.rows == x.rows && y.columns == outFeatures,
                     "LoRA forward x \(x.shape), y \(y.shape)")
        input = x
        LowRankProduct.forward(x, factors: [a.value, b.value], scale: scale,
                               hidden: [projected.tensor([x.rows, rank])], addingInto: y)
    }

    public func backward(_ dy: Tensor, addingInto dx: Tensor) {
        guard let x = input else { preconditionFailure("LoRA backward before forward") }
        precondition(dy.rows == x.rows && dy.columns == outFeatures && dx.count == x.count,
                     "LoRA backward dy \(dy.shape), dx \(dx.shape) for x \(x.shape)")
        LowRankProduct.backward(dy, input: x, factors: [a.value, b.value], scale: scale,
                                hidden: [projected.tensor([x.rows, rank])],
                                gradients: [a, b].map { $0.isTrainable ? $0.gradientForAccumulation() : nil },
                                hiddenGradients: [projectedGradient.tensor([x.rows, rank])], addingInto: dx)
    }
}
