import Tensor

/// GELU as a layer with a cached input: the exact erf form `x · Φ(x)` (BERT's "gelu"), or the
/// tanh approximation (GPT-2's "gelu_new", PyTorch's `approximate="tanh"`).
/// Shapes: any; output and input gradient belong to the layer.
public final class GELU {
    public enum Approximation: Sendable {
        /// `x/2 · (1 + erf(x/√2))`.
        case none
        /// `x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
        case tanh
    }

    public let approximation: Approximation
    private var input: Tensor?
    private var output = ActivationBuffer()
    private var inputGradient = ActivationBuffer()

    public init(approximation: Approximation = .none) {
        self.approximation = approximation
    }

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        let y = output.tensor(x.shape)
        switch approximation {
        case .none: LayerKernels.map(x.pointer, y.pointer, count: x.count) { LayerKernels.gelu($0) }
        case .tanh: LayerKernels.map(x.pointer, y.pointer, count: x.count) { LayerKernels.geluTanh($0) }
        }
        return y
    }

    /// Keeps the input gradient in `pool`'s buffer `name` (see `BufferPool`).
    public func shareBackwardBuffers(_ pool: BufferPool, as name: String) {
        inputGradient = pool.buffer(name + ".dx")
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("GELU.backward before forward") }
        precondition(dy.count == x.count, "GELU dy \(dy.shape) for x \(x.shape)")
        let dx = inputGradient.tensor(x.shape)
        switch approximation {
        case .none:
            LayerKernels.map2(x.pointer, dy.pointer, dx.pointer, count: x.count) { v, g in
                g * LayerKernels.geluDerivative(v)
            }
        case .tanh:
            LayerKernels.map2(x.pointer, dy.pointer, dx.pointer, count: x.count) { v, g in
                g * LayerKernels.geluTanhDerivative(v)
            }
        }
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

/// Hyperbolic tangent as a layer with a cached output (BERT's pooler: `tanh(dense(h_CLS))`).
/// Shapes: any; output and input gradient belong to the layer.
public final class Tanh {
    private var output = ActivationBuffer()
    private var inputGradient = ActivationBuffer()
    private var result: Tensor?

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        let y = output.tensor(x.shape)
        LayerKernels.map(x.pointer, y.pointer, count: x.count) { LayerKernels.tanh($0) }
        result = y
        return y
    }

    /// `dx = dy · (1 − y²)`.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = result else { preconditionFailure("Tanh.backward before forward") }
        precondition(dy.count == y.count, "Tanh dy \(dy.shape) for y \(y.shape)")
        let dx = inputGradient.tensor(y.shape)
        LayerKernels.map2(y.pointer, dy.pointer, dx.pointer, count: y.count) { v, g in g * (1 - v * v) }
        return dx
    }
}
