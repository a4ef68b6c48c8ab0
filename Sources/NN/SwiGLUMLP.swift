import Tensor

/// The Llama feed-forward block `down(silu(gate(x)) ⊙ up(x))`.
///
/// Shapes: `x` `[..., dim]` → `[..., dim]` through a hidden width `gate.outFeatures`.
/// Outputs belong to the layers; `x` must stay unchanged until `backward`.
public final class SwiGLUMLP {
    public let gate: Linear
    public let up: Linear
    public let down: Linear

    private var gateOutput: Tensor?, upOutput: Tensor?
    private var hidden = DroppableActivation()
    private var gateGradient = ActivationBuffer()
    private var upGradient = ActivationBuffer()

    public init(gate: Linear, up: Linear, down: Linear) {
        precondition(gate.inFeatures == up.inFeatures && gate.outFeatures == up.outFeatures
                     && down.inFeatures == gate.outFeatures,
                     "SwiGLU projections do not chain: gate \(gate.outFeatures)×\(gate.inFeatures), up \(up.outFeatures)×\(up.inFeatures), down \(down.outFeatures)×\(down.inFeatures)")
        self.gate = gate
        self.up = up
        self.down = down
    }

    /// Keeps the gate and up gradients, and those of the three projections, in `pool`'s
    /// buffers under `name` (see `BufferPool`).
    public func shareBackwardBuffers(_ pool: BufferPool, as name: String) {
        gateGradient = pool.buffer(name + ".dgate")
        upGradient = pool.buffer(name + ".dup")
        for (linear, suffix) in [(gate, ".gate"), (up, ".up"), (down, ".down")] {
            linear.shareBackwardBuffers(pool, as: name + suffix)
        }
    }

    /// Keeps the hidden activation and the projections' outputs in `pool`'s buffers under
    /// `name` (see `BufferPool`), or in buffers of their own when `pool` is nil.
    public func shareForwardBuffers(_ pool: BufferPool?, as name: String) {
        hidden.shareKept(pool, as: name + ".hidden")
        for (linear, suffix) in [(gate, ".gate"), (up, ".up"), (down, ".down")] {
            linear.shareForwardBuffers(pool, as: name + suffix)
        }
    }

    /// Writes the activations no backward reads to `pool` (see `DroppableActivation`).
    public func shareDroppedBuffers(_ pool: BufferPool, as name: String) {
        hidden.shareDropped(pool, as: name + ".hidden")
        down.shareDroppedBuffers(pool, as: name + ".down")
    }

    /// Whether `backward` reads the input of the last forward (gate's or up's gradient does).
    public var readsInputInBackward: Bool { gate.readsInputInBackward || up.readsInputInBackward }

    public var parameters: [Parameter] { gate.parameters + up.parameters + down.parameters }

    /// `keepOutput` as `Linear.forward` takes it, for down's output.
    public func forward(_ x: Tensor, keepOutput: Bool = true) -> Tensor {
        let g = gate.forward(x), u = up.forward(x)
        gateOutput = g; upOutput = u
        let hdn = hidden.tensor(g.shape, keep: down.readsInputInBackward)
        LayerKernels.map2(g.pointer, u.pointer, hdn.pointer, count: g.count) { a, b in
            LayerKernels.silu(a) * b
        }
        return down.forward(hdn, keepOutput: keepOutput)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let g = gateOutput, let u = upOutput else { preconditionFailure("SwiGLUMLP.backward before forward") }
        let dh = down.backward(dy)
        let dg = gateGradient.tensor(g.shape), du = upGradient.tensor(u.shape)
        let gp = g.pointer, upp = u.pointer, hp = dh.pointer, dgp = dg.pointer, dup = du.pointer
        Parallel.forEachChunk(g.count, minChunk: 16_384) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound {
                let a = RowKernels.load(gp + i), b = RowKernels.load(upp + i), d = RowKernels.load(hp + i)
                let s = LayerKernels.sigmoid(a)
                RowKernels.store(d * a * s, dup + i)
                RowKernels.store(d * b * s * (1 + a * (1 - s)), dgp + i)
                i += 16
            }
            while i < r.upperBound {
                let a = RowKernels.Vector(repeating: gp[i])
                let s = LayerKernels.sigmoid(a)[0], av = gp[i]
                dup[i] = hp[i] * av * s
                dgp[i] = hp[i] * upp[i] * s * (1 + av * (1 - s))
                i += 1
            }
        }
        let dx = gate.backward(dg)
        up.backward(du, addingInto: dx)
        return dx
    }
}
