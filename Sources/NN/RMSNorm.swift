import Tensor

/// Root-mean-square normalisation over the last dimension (Llama):
/// `y = x · rsqrt(mean(x²) + eps) · weight`.
///
/// Shapes: `x` and `y` `[..., dim]`. The output and input gradient belong to the layer; `x`
/// must stay unchanged between `forward` and `backward`.
public final class RMSNorm {
    public let weight: Parameter
    public let epsilon: Float
    public var dimension: Int { weight.value.count }

    private var input: Tensor?
    private var output = DroppableActivation()
    private var inputGradient = ActivationBuffer()
    private var inverseRMS = ActivationBuffer()

    public init(weight: Parameter, epsilon: Float) {
        self.weight = weight
        self.epsilon = epsilon
    }

    public convenience init(weight: Tensor, epsilon: Float, trainable: Bool = false) {
        self.init(weight: Parameter(weight, trainable: trainable), epsilon: epsilon)
    }

    /// Keeps the input gradient in `pool`'s buffer `name` (see `BufferPool`).
    public func shareBackwardBuffers(_ pool: BufferPool, as name: String) {
        inputGradient = pool.buffer(name + ".dx")
    }

    /// Keeps the output and inverse RMS in `pool`'s buffers under `name` (see `BufferPool`), or
    /// in buffers of its own when `pool` is nil.
    public func shareForwardBuffers(_ pool: BufferPool?, as name: String) {
        output.shareKept(pool, as: name + ".y")
        inverseRMS = pool.buffer(name + ".rstd")
    }

    /// Writes outputs that are not kept (`forward(_:keepOutput:)`) to `pool`'s buffer `name`.
    public func shareDroppedBuffers(_ pool: BufferPool, as name: String) {
        output.shareDropped(pool, as: name + ".y")
    }

    public var parameters: [Parameter] { [weight] }

    /// `keepOutput` false: no backward reads `y` (its backward reads `x` and the inverse RMS;
    /// the layers it feeds may not), so it may be overwritten by the next block.
    public func forward(_ x: Tensor, keepOutput: Bool = true) -> Tensor {
        let dim = dimension
        precondition(x.columns == dim, "RMSNorm of \(dim) on \(x.shape)")
        input = x
        let rows = x.rows
        let y = output.tensor(x.shape, keep: keepOutput)
        let rstd = inverseRMS.tensor([rows])
        RowKernels.inverseRootMeanSquare(x.pointer, rows: rows, columns: dim, epsilon: epsilon,
                                         into: rstd.pointer)
        let xp = x.pointer, yp = y.pointer, w = weight.value.pointer, sp = rstd.pointer
        Parallel.forEachRow(rows, rowCost: dim) { r in
            let xr = xp + r * dim, yr = yp + r * dim
            let s = RowKernels.Vector(repeating: sp[r])
            var i = 0
            while i + 16 <= dim {
                RowKernels.store(RowKernels.load(xr + i) * s * RowKernels.load(w + i), yr + i)
                i += 16
            }
            while i < dim { yr[i] = xr[i] * sp[r] * w[i]; i += 1 }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("RMSNorm.backward before forward") }
        precondition(dy.shape == x.shape, "RMSNorm dy \(dy.shape) for x \(x.shape)")
        let dim = dimension, rows = x.rows
        let dx = inputGradient.tensor(x.shape)
        let xp = x.pointer, gp = dy.pointer, dp = dx.pointer, w = weight.value.pointer
        let sp = inverseRMS.tensor([rows]).pointer
        typealias V = RowKernels.Vector
        // dx = s · (g − x̂ · mean(g ⊙ x̂)), g = dy ⊙ w, x̂ = x · s;  dW += Σ_rows dy ⊙ x̂.
        let body = { (range: Range<Int>, partial: UnsafeMutablePointer<Float>?) in
            for r in range {
                let xr = xp + r * dim, gr = gp + r * dim, dr = dp + r * dim
                let s = sp[r], sv = V(repeating: s)
                var acc = V.zero
                var i = 0
                while i + 16 <= dim {
                    let h = RowKernels.load(xr + i) * sv
                    let dyv = RowKernels.load(gr + i)
                    acc.addProduct(dyv * RowKernels.load(w + i), h)
                    if let p = partial { RowKernels.store(RowKernels.load(p + i) + dyv * h, p + i) }
                    i += 16
                }
                var sumGH = RowKernels.horizontalSum(acc)
                while i < dim {
                    let h = xr[i] * s
                    sumGH += gr[i] * w[i] * h
                    if let p = partial { p[i] += gr[i] * h }
                    i += 1
                }
                let c = sumGH / Float(dim), cv = V(repeating: c)
                i = 0
                while i + 16 <= dim {
                    let h = RowKernels.load(xr + i) * sv
                    let g = RowKernels.load(gr + i) * RowKernels.load(w + i)
                    RowKernels.store(sv * (g - h * cv), dr + i)
                    i += 16
                }
                while i < dim {
                    dr[i] = s * (gr[i] * w[i] - xr[i] * s * c)
                    i += 1
                }
            }
        }
        if weight.isTrainable {
            LayerKernels.accumulateOverRows(rows, width: dim,
                                            into: weight.gradientForAccumulation().pointer) { range, p in
                body(range, p)
            }
        } else {
            Parallel.forEachChunk(rows, minChunk: max(1, 16_384 / dim)) { range in body(range, nil) }
        }
        return dx
    }
}
