import Foundation
import Tensor

/// Element-wise activations of the MLPs, with their derivatives.
enum Activation {
    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// `out = silu(gate) ⊙ up` (SwiGLU).
    static func swiGLU(gate: Tensor, up: Tensor, into out: Tensor) {
        let g = gate.pointer, u = up.pointer, o = out.pointer
        Parallel.forEachChunk(out.count) { range in
            for i in range { o[i] = g[i] * sigmoid(g[i]) * u[i] }
        }
    }

    /// Backward of `swiGLU`: writes `dgate` and `dup` from `dout`.
    static func swiGLUBackward(gate: Tensor, up: Tensor, outputGradient dout: Tensor,
                               gateGradient dg: Tensor, upGradient du: Tensor) {
        let g = gate.pointer, u = up.pointer, d = dout.pointer, dgp = dg.pointer, dup = du.pointer
        Parallel.forEachChunk(dout.count) { range in
            for i in range {
                let s = sigmoid(g[i]), silu = g[i] * s
                dup[i] = d[i] * silu
                dgp[i] = d[i] * u[i] * (s * (1 + g[i] * (1 - s)))
            }
        }
    }

    /// Exact GELU `x·Φ(x)` (BERT's "gelu").
    static func gelu(_ x: Tensor, into out: Tensor) {
        let xp = x.pointer, o = out.pointer
        Parallel.forEachChunk(x.count) { range in
            for i in range { o[i] = 0.5 * xp[i] * (1 + erf(xp[i] * 0.70710678118654752)) }
        }
    }

    /// `dx = dout ⊙ gelu'(x)` (may write into `dout`'s storage).
    static func geluBackward(input x: Tensor, outputGradient dout: Tensor, into dx: Tensor) {
        let xp = x.pointer, d = dout.pointer, o = dx.pointer
        Parallel.forEachChunk(x.count) { range in
            for i in range {
                let v = xp[i]
                let cdf = 0.5 * (1 + erf(v * 0.70710678118654752))
                let pdf = exp(-0.5 * v * v) * 0.39894228040143268
                o[i] = d[i] * (cdf + v * pdf)
            }
        }
    }

    /// GELU with the tanh approximation (`gelu_new`, `gelu_pytorch_tanh`).
    static func geluTanh(_ x: Tensor, into out: Tensor) {
        let xp = x.pointer, o = out.pointer
        Parallel.forEachChunk(x.count) { range in
            for i in range {
                let v = xp[i]
                o[i] = 0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
            }
        }
    }

    static func geluTanhBackward(input x: Tensor, outputGradient dout: Tensor, into dx: Tensor) {
        let xp = x.pointer, d = dout.pointer, o = dx.pointer
        Parallel.forEachChunk(x.count) { range in
            for i in range {
                let v = xp[i]
                let u = 0.7978845608028654 * (v + 0.044715 * v * v * v)
                let t = tanh(u)
                let du = 0.7978845608028654 * (1 + 3 * 0.044715 * v * v)
                o[i] = d[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
            }
        }
    }
}
