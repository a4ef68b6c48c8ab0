import Tensor

/// Layer normalisation over the last dimension (BERT):
/// `y = (x − mean) / sqrt(var + eps) · weight + bias`, biased variance.
///
/// Shapes: `x` and `y` `[..., dim]`. The output and input gradient belong to the layer; `x`
/// must stay unchanged between `forward` and `backward`.
public final class LayerNorm {
    public let weight: Parameter
    public let bias: Parameter
    public let epsilon: Float
    public var dimension: Int { weight.value.count }

    private var input: Tensor?
    private var output = ActivationBuffer()
    private var inputGradient = ActivationBuffer()
    private var means = ActivationBuffer()
    private var inverseStds = ActivationBuffer()

    public init(weight: Parameter, bias: Parameter, epsilon: Float) {
        precondition(weight.value.count == bias.value.count, "LayerNorm weight and bias sizes differ")
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
    }

    public convenience init(weight: Tensor, bias: Tensor, epsilon: Float, trainable: Bool = false) {
        self.init(weight: Parameter(weight, trainable: trainable),
                  bias: Parameter(bias, trainable: trainable), epsilon: epsilon)
    }

    /// Keeps the input gradient in `pool`'s buffer `name` (see `BufferPool`).
    public func shareBackwardBuffers(_ pool: BufferPool, as name: String) {
        inputGradient = pool.buffer(name + ".dx")
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func forward(_ x: Tensor) -> Tensor {
        let dim = dimension
        precondition(x.columns == dim, "LayerNorm of \(dim) on \(x.shape)")
        input = x
        let rows = x.rows
        let y = output.tensor(x.shape)
        let mean = means.tensor([rows]), rstd = inverseStds.tensor([rows])
        RowKernels.meanAndInverseStd(x.pointer, rows: rows, columns: dim, epsilon: epsilon,
                                     mean: mean.pointer, inverseStd: rstd.pointer)
        let xp = x.pointer, yp = y.pointer, w = weight.value.pointer, b = bias.value.pointer
        let mp = mean.pointer, sp = rstd.pointer
        Parallel.forEachRow(rows, rowCost: dim) { r in
            let xr = xp + r * dim, yr = yp + r * dim
            let mu = RowKernels.Vector(repeating: mp[r]), s = RowKernels.Vector(repeating: sp[r])
            var i = 0
            while i + 16 <= dim {
                let h = (RowKernels.load(xr + i) - mu) * s
                RowKernels.store(h * RowKernels.load(w + i) + RowKernels.load(b + i), yr + i)
                i += 16
            }
            while i < dim { yr[i] = (xr[i] - mp[r]) * sp[r] * w[i] + b[i]; i += 1 }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("LayerNorm.backward before forward") }
        precondition(dy.shape == x.shape, "LayerNorm dy \(dy.shape) for x \(x.shape)")
        let dim = dimension, rows = x.rows
        let dx = inputGradient.tensor(x.shape)
        let xp = x.pointer, gp = dy.pointer, dp = dx.pointer, w = weight.value.pointer
        let mp = means.tensor([rows]).pointer, sp = inverseStds.tensor([rows]).pointer
        let wantW = weight.isTrainable, wantB = bias.isTrainable
        // dx = s · (g − mean(g) − h · mean(g ⊙ h)) with g = dy ⊙ w, h = (x − μ) · s; both means
        // and the partials [dW | dB] of a chunk of rows are summed in 16 lanes.
        let body = { (range: Range<Int>, partial: UnsafeMutablePointer<Float>?) in
            for r in range {
                let xr = xp + r * dim, gr = gp + r * dim, dr = dp + r * dim
                let mu = mp[r], s = sp[r]
                let muV = RowKernels.Vector(repeating: mu), sV = RowKernels.Vector(repeating: s)
                var accG = RowKernels.Vector.zero, accGH = RowKernels.Vector.zero
                var i = 0
                while i + 16 <= dim {
                    let h = (RowKernels.load(xr + i) - muV) * sV
                    let dyV = RowKernels.load(gr + i)
                    let g = dyV * RowKernels.load(w + i)
                    accG += g
                    accGH += g * h
                    if let p = partial {
                        if wantW { RowKernels.store(RowKernels.load(p + i) + dyV * h, p + i) }
                        if wantB { RowKernels.store(RowKernels.load(p + dim + i) + dyV, p + dim + i) }
                    }
                    i += 16
                }
                var sumG = RowKernels.horizontalSum(accG), sumGH = RowKernels.horizontalSum(accGH)
                while i < dim {
                    let h = (xr[i] - mu) * s
                    let g = gr[i] * w[i]
                    sumG += g
                    sumGH += g * h
                    if let p = partial {
                        if wantW { p[i] += gr[i] * h }
                        if wantB { p[dim + i] += gr[i] }
                    }
                    i += 1
                }
                let a = sumG / Float(dim), c = sumGH / Float(dim)
                let aV = RowKernels.Vector(repeating: a), cV = RowKernels.Vector(repeating: c)
                i = 0
                while i + 16 <= dim {
                    let h = (RowKernels.load(xr + i) - muV) * sV
                    let g = RowKernels.load(gr + i) * RowKernels.load(w + i)
                    RowKernels.store(sV * (g - aV - h * cV), dr + i)
                    i += 16
                }
                while i < dim {
                    let h = (xr[i] - mu) * s
                    dr[i] = s * (gr[i] * w[i] - a - h * c)
                    i += 1
                }
            }
        }
        if wantW || wantB {
            let total = UnsafeMutablePointer<Float>.allocate(capacity: 2 * dim)
            defer { total.deallocate() }
            total.initialize(repeating: 0, count: 2 * dim)
            LayerKernels.accumulateOverRows(rows, width: 2 * dim, into: total) { range, p in
                body(range, p)
            }
            if wantW {
                let g = weight.gradientForAccumulation().pointer
                for i in 0..<dim { g[i] += total[i] }
            }
            if wantB {
                let g = bias.gradientForAccumulation().pointer
                for i in 0..<dim { g[i] += total[dim + i] }
            }
        } else {
            Parallel.forEachChunk(rows, minChunk: max(1, 16_384 / dim)) { range in body(range, nil) }
        }
        return dx
    }
}
