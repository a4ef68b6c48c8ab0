import Tensor

/// The LoRA-XS / LoRA-SB update `Δ(x) = s · B R A x` with `B` `[out, r]`, `R` `[r, r]`,
/// `A` `[r, in]` and scale `s`. By default only `R` trains (B and A stay frozen, which is what
/// makes LoRA-SB's parameter count r² per layer); any of the three can be marked trainable.
///
/// Row form, as computed (`LowRankProduct` over the chain `A, R, B`): `u = x Aᵀ` `[n, r]`,
/// `v = u Rᵀ`, `y += s · v Bᵀ`.
public final class LoRAXSAdapter: LinearAdapter {
    public let b: Parameter
    public let r: Parameter
    public let a: Parameter
    public var scale: Float
    public let rank: Int
    public var inFeatures: Int { a.shape[1] }
    public var outFeatures: Int { b.shape[0] }
    public var parameters: [Parameter] { [b, r, a] }

    private var input: Tensor?
    private var projected = ActivationBuffer()   // u = x Aᵀ
    private var mixed = ActivationBuffer()       // v = u Rᵀ
    private var projectedGradient = ActivationBuffer()   // du
    private var mixedGradient = ActivationBuffer()   // dv

    /// `b` `[out, r]`, `r` `[r, r]`, `a` `[r, in]`; R trainable, B and A frozen.
    public init(b: Tensor, r: Tensor, a: Tensor, scale: Float = 1) {
        precondition(b.rank == 2 && r.rank == 2 && a.rank == 2, "LoRA-XS factors must be matrices")
        let k = r.shape[0]
        precondition(r.shape == [k, k] && b.shape[1] == k && a.shape[0] == k,
                     "LoRA-XS shapes B \(b.shape), R \(r.shape), A \(a.shape) do not chain")
        self.b = Parameter(b, trainable: false)
        self.r = Parameter(r, trainable: true)
        self.a = Parameter(a, trainable: false)
        self.scale = scale
        self.rank = k
    }

    /// Only a trainable A reads `x` in backward (`dA += gᵀx`); R's and B's gradients read the
    /// kept projections `u` and `v`.
    public var readsInputInBackward: Bool { a.isTrainable }

    /// The chain from the input side, as `LowRankProduct` takes it.
    private var chain: [Parameter] { [a, r, b] }

    private func hidden(rows n: Int) -> [Tensor] { [projected.tensor([n, rank]), mixed.tensor([n, rank])] }

    public func forward(_ x: Tensor, addingInto y: Tensor) {
        precondition(x.columns == inFeatures && y.rows == x.rows && y.columns == outFeatures,
                     "LoRA-XS forward x \(x.shape), y \(y.shape)")
        input = x
        LowRankProduct.forward(x, factors: chain.map(\.value), scale: scale, hidden: hidden(rows: x.rows), addingInto: y)
    }

    public func backward(_ dy: Tensor, addingInto dx: Tensor) {
        guard let x = input else { preconditionFailure("LoRA-XS backward before forward") }
        precondition(dy.rows == x.rows && dy.columns == outFeatures && dx.count == x.count,
                     "LoRA-XS backward dy \(dy.shape), dx \(dx.shape) for x \(x.shape)")
        let n = x.rows
        LowRankProduct.backward(dy, input: x, factors: chain.map(\.value), scale: scale, hidden: hidden(rows: n),
                                gradients: chain.map { $0.isTrainable ? $0.gradientForAccumulation() : nil },
                                hiddenGradients: [projectedGradient.tensor([n, rank]), mixedGradient.tensor([n, rank])],
                                addingInto: dx)
    }
}
