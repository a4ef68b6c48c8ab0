import Tensor

/// PiSSA (Meng et al., 2024) without rewriting the frozen weight: PiSSA trains `B`, `A` started
/// at the top-r singular part of `W` (`B₀ A₀ = U_r Σ_r V_rᵀ / s`) on the frozen residual
/// `W − s·B₀ A₀`. Here the residual is not stored: the layer keeps `W` (packed, as loaded) and the
/// adapter adds `s·(B A − B₀ A₀)`, with `B₀`, `A₀` frozen, so `W + s·(B A − B₀ A₀)` is exactly
/// the residual plus the trained factors, and no fp32 copy of a frozen matrix is made. It is
/// also PEFT's conversion of a trained PiSSA adapter to a LoRA on the original weight
/// (`[A; A₀]`, `[B, −B₀]`, rank 2r).
public final class PiSSAAdapter: LinearAdapter {
    /// `s·B A`: the factors that train.
    public let trained: LoRAAdapter
    /// `−s·B₀ A₀`: the initial factors, frozen.
    public let initial: LoRAAdapter
    public var inFeatures: Int { trained.inFeatures }
    public var outFeatures: Int { trained.outFeatures }
    public var parameters: [Parameter] { trained.parameters + initial.parameters }
    public var scale: Float { trained.scale }

    /// `b`, `a` trainable, `initialB`, `initialA` frozen (the same shapes), scale `s`.
    public init(b: Tensor, a: Tensor, initialB: Tensor, initialA: Tensor, scale: Float) {
        precondition(b.shape == initialB.shape && a.shape == initialA.shape,
                     "PiSSA factors B \(b.shape), A \(a.shape) and initial B₀ \(initialB.shape), A₀ \(initialA.shape) differ")
        trained = LoRAAdapter(b: b, a: a, scale: scale)
        initial = LoRAAdapter(b: initialB, a: initialA, scale: -scale)
        initial.b.isTrainable = false
        initial.a.isTrainable = false
    }

    public func forward(_ x: Tensor, addingInto y: Tensor) {
        trained.forward(x, addingInto: y)
        initial.forward(x, addingInto: y)
    }

    public func backward(_ dy: Tensor, addingInto dx: Tensor) {
        trained.backward(dy, addingInto: dx)
        initial.backward(dy, addingInto: dx)
    }
}
