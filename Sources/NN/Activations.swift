import Tensor

/// The exact (erf) GELU of BERT, `x · Φ(x)`, as a layer with a cached input.
/// Shapes: any; output and input gradient belong to the layer.
public final class GELU {
    private var input: Tensor?
    private var output = ActivationBuffer()
    private var inputGradient = ActivationBuffer()

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        let y = output.tensor(x.shape)
        LayerKernels.gelu(x.pointer, y.pointer, count: x.count)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("GELU.backward before forward") }
        precondition(dy.count == x.count, "GELU dy \(dy.shape) for x \(x.shape)")
        let dx = inputGradient.tensor(x.shape)
        LayerKernels.geluBackward(x.pointer, dy.pointer, dx.pointer, count: x.count)
        return dx
    }
}

/// SiLU (swish), `x · σ(x)`, as a layer with a cached input.
/// Shapes: any; output and input gradient belong to the layer.
public final class SiLU {
    private var input: Tensor?
    private var output = ActivationBuffer()
    private var inputGradient = ActivationBuffer()

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        let y = output.tensor(x.shape)
        LayerKernels.map(x.pointer, y.pointer, count: x.count) { LayerKernels.silu($0) }
        return y
    }

    /// `dx = dy · σ(x) · (1 + x · (1 − σ(x)))`.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("SiLU.backward before forward") }
        precondition(dy.count == x.count, "SiLU dy \(dy.shape) for x \(x.shape)")
        let dx = inputGradient.tensor(x.shape)
        LayerKernels.map2(x.pointer, dy.pointer, dx.pointer, count: x.count) { v, g in
            let s = LayerKernels.sigmoid(v)
            return g * s * (1 + v * (1 - s))
        }
        return dx
    }
}
