import Tensor

/// A trainable update attached to a `Linear` layer: `y += Δ(x)` in forward and `dx += ∂Δ/∂x · dy`
/// in backward, accumulating its own parameters' gradients.
///
/// `x` and `y` are matrices of rows (`[n, in]` and `[n, out]`). Like layers, an adapter keeps
/// what its backward needs from the last forward.
public protocol LinearAdapter: AnyObject {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// Every parameter of the adapter (trainable or not), for optimisers and checkpoints.
    var parameters: [Parameter] { get }
    /// Adds the adapter's output for `x` into `y`.
    func forward(_ x: Tensor, addingInto y: Tensor)
    /// Adds the input gradient for output gradient `dy` into `dx` and accumulates the gradients
    /// of trainable parameters. Uses the `x` of the last `forward`.
    func backward(_ dy: Tensor, addingInto dx: Tensor)
    /// The output gradient the layer's own products (`dx = dy W`, `dW`) see: `dy` unless the
    /// adapter rescales the base output itself (DoRA's per-output magnitude, which the base
    /// product's gradient must carry too). The bias gradient always takes `dy`.
    func baseOutputGradient(_ dy: Tensor) -> Tensor
    /// Whether `backward` reads the `x` of the last forward (a trainable factor on the input
    /// side does); adapters that keep what they need of `x` themselves say false.
    var readsInputInBackward: Bool { get }
}

extension LinearAdapter {
    public func baseOutputGradient(_ dy: Tensor) -> Tensor { dy }
    public var readsInputInBackward: Bool { true }
}
