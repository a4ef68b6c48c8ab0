import Tensor

/// A fully connected layer `y = x Wᵀ + b` with the weight laid out `[out, in]` as in PyTorch.
///
/// Shapes: `x` is `[..., in]` (any leading dimensions, e.g. `[batch, seq, in]`, seen as rows);
/// `y` is `[..., out]`. An optional `adapter` adds its low-rank term into `y` in forward and its
/// input gradient into `dx` in backward.
///
/// Buffers: the returned `y` and `dx` belong to the layer and are overwritten by the next
/// `forward` / `backward`; `forward` keeps a reference to `x`, which must stay unchanged until
/// `backward` has run. Backward always computes `dx`; it accumulates the weight and bias
/// gradients only for trainable parameters, so a frozen base weight costs one sgemm less.
public final class Linear {
    public let inFeatures: Int
    public let outFeatures: Int
    /// `[out, in]`. May be shared with another layer (tied embeddings).
    public let weight: Parameter
    /// `[out]`, or nil for a layer without bias.
    public let bias: Parameter?
    /// A low-rank update attached to this layer (LoRA, LoRA-XS / LoRA-SB), or nil.
    public var adapter: LinearAdapter? {
        willSet {
            if let a = newValue {
                precondition(a.inFeatures == inFeatures && a.outFeatures == outFeatures,
                             "adapter \(a.outFeatures)×\(a.inFeatures) on a \(outFeatures)×\(inFeatures) layer")
            }
        }
    }

    /// A bf16 copy of the frozen weight that the products use instead of the fp32 one, or nil.
    /// Set by `useBF16Weight()`; a weight that becomes trainable goes back to fp32.
    public private(set) var bf16Weight: BF16Matrix?

    private var input: Tensor?
    private var output = ActivationBuffer()
    private var inputGradient = ActivationBuffer()

    /// A layer over existing parameters (use this to share a weight between layers).
    public init(weight: Parameter, bias: Parameter? = nil) {
        precondition(weight.shape.count == 2, "Linear weight must be [out, in], got \(weight.shape)")
        self.weight = weight
        self.bias = bias
        self.outFeatures = weight.shape[0]
        self.inFeatures = weight.shape[1]
        if let b = bias {
            precondition(b.value.count == outFeatures, "bias of \(b.value.count) for \(outFeatures) outputs")
        }
    }

    /// A layer from a `[out, in]` weight and an optional `[out]` bias; frozen unless `trainable`.
    public convenience init(weight: Tensor, bias: Tensor? = nil, trainable: Bool = false) {
        self.init(weight: Parameter(weight, trainable: trainable),
                  bias: bias.map { Parameter($0, trainable: trainable) })
    }

    /// Multiplies by a bf16 copy of the (frozen) weight from now on: half the bytes per product
    /// and twice the multiply-add rate on AVX-512 BF16, inputs rounded to bf16, sums in fp32.
    /// The fp32 weight stays (embeddings, merging and exports read it). Call again after
    /// writing to `weight.value`.
    public func useBF16Weight() {
        precondition(!weight.isTrainable, "bf16 products are for frozen weights only")
        bf16Weight = BF16Matrix(weight.value)
    }

    /// Back to fp32 products (frees the bf16 copy).
    public func useFP32Weight() { bf16Weight = nil }

    /// Fewer rows than this stay fp32: the bf16 product repacks the weight on every call, which
    /// only pays over many rows; a decoding step (one row per sequence) streams the fp32 weight
    /// through sgemv instead.
    public static let bf16MinimumRows = 16

    /// The bf16 weight when the products should use it: frozen (or trainable but held fixed,
    /// so the copy cannot go stale), and enough rows.
    private func bf16Operand(rows: Int) -> BF16Matrix? {
        guard let w = bf16Weight, rows >= Linear.bf16MinimumRows, !weight.isTrainable || weight.isHeldFixed else { return nil }
        return w
    }

    /// Keeps the input gradient in `pool`'s buffer `name` (see `BackwardBufferPool`).
    public func shareBackwardBuffers(_ pool: BackwardBufferPool, as name: String) {
        inputGradient = pool.buffer(name + ".dx")
    }

    /// The layer's own parameters (weight, then bias), not the adapter's.
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// `y = x Wᵀ + b (+ adapter(x))`.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "Linear expects rows of \(inFeatures), got \(x.shape)")
        input = x
        let y = output.tensor(Array(x.shape.dropLast()) + [outFeatures])
        if let w = bf16Operand(rows: x.rows) {
            Gemm.bf16Product(transposeB: true, m: x.rows, n: outFeatures, k: inFeatures,
                             a: x.pointer, lda: inFeatures, b: w, beta: 0, c: y.pointer, ldc: outFeatures)
        } else {
            Gemm.sgemm(transposeA: false, transposeB: true, m: x.rows, n: outFeatures, k: inFeatures,
                       a: x.pointer, lda: inFeatures, b: weight.value.pointer, ldb: inFeatures,
                       beta: 0, c: y.pointer, ldc: outFeatures)
        }
        if let b = bias { Elementwise.addToRows(b.value, y) }
        adapter?.forward(x, addingInto: y)
        return y
    }

    /// Gradient with respect to the input, in a buffer owned by the layer; accumulates the
    /// gradients of trainable parameters (and the adapter's).
    public func backward(_ dy: Tensor) -> Tensor {
        let x = cachedInput(for: dy)
        let dx = inputGradient.tensor(x.shape)
        backward(dy, input: x, dx: dx, beta: 0)
        return dx
    }

    /// Like `backward(_:)` but adds the input gradient into `dx` (for inputs that feed several
    /// layers, such as the query, key and value projections).
    public func backward(_ dy: Tensor, addingInto dx: Tensor) {
        let x = cachedInput(for: dy)
        precondition(dx.count == x.count, "Linear dx \(dx.shape) for input \(x.shape)")
        backward(dy, input: x, dx: dx, beta: 1)
    }

    private func cachedInput(for dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        precondition(dy.columns == outFeatures && dy.rows == x.rows,
                     "Linear dy \(dy.shape) for input \(x.shape) → \(outFeatures)")
        return x
    }

    private func backward(_ dy: Tensor, input x: Tensor, dx: Tensor, beta: Float) {
        let n = x.rows
        // dx = dy W
        if let w = bf16Operand(rows: n) {
            Gemm.bf16Product(transposeB: false, m: n, n: inFeatures, k: outFeatures,
                             a: dy.pointer, lda: outFeatures, b: w, beta: beta, c: dx.pointer, ldc: inFeatures)
        } else {
            Gemm.sgemm(transposeA: false, transposeB: false, m: n, n: inFeatures, k: outFeatures,
                       a: dy.pointer, lda: outFeatures, b: weight.value.pointer, ldb: inFeatures,
                       beta: beta, c: dx.pointer, ldc: inFeatures)
        }
        if weight.isTrainable {
            // dW += dyᵀ x; in bf16 too when the weight's products are (a gradient estimate).
            let g = weight.gradientForAccumulation()
            if bf16Operand(rows: n) != nil {
                Gemm.bf16TransposedProduct(m: outFeatures, n: inFeatures, k: n, a: dy.pointer, lda: outFeatures,
                                           b: x.pointer, ldb: inFeatures, beta: 1, c: g.pointer, ldc: inFeatures)
            } else {
                Gemm.sgemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: n,
                           a: dy.pointer, lda: outFeatures, b: x.pointer, ldb: inFeatures,
                           beta: 1, c: g.pointer, ldc: inFeatures)
            }
        }
        if let b = bias, b.isTrainable {
            Elementwise.sumRows(dy, into: b.gradientForAccumulation(), accumulate: true)
        }
        adapter?.backward(dy, addingInto: dx)
    }
}
