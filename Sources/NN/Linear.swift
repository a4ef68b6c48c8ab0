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

    /// What the products with the (frozen) weight compute in: `.bf16` rounds the weight and the
    /// activations to bf16 (AVX-512 BF16, sums in fp32); `.q8` quantises the activations to
    /// 8-bit blocks for the quantised weight's integer dot products, prompts included, as
    /// llama.cpp does. (Prompts of more than 8 rows once went through fp32 panels and sgemm; the
    /// integer products, 8 rows per pass over the weight, took Qwen2.5 1.5B from 11.0 to 15.7
    /// tokens/s at batch 1 with 16-token prompts, with no loss on SmolLM2.) A trainable weight
    /// always multiplies in fp32, and so does a product of fewer than `bf16MinimumRows` rows in bf16.
    public var productPrecision: ProductPrecision = .fp32 {
        willSet { precondition(newValue != .bf16 || Gemm.bf16Supported, "bf16 products need a CPU with AVX-512 BF16") }
    }

    private var input: Tensor?
    private var output = DroppableActivation()
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

    /// Fewer rows than this stay fp32: the bf16 product rounds the weight's panels on every
    /// call, which only pays over many rows; a decoding step (one row per sequence) goes
    /// through sgemv instead.
    public static let bf16MinimumRows = 16

    /// The precision of a product over `rows` rows: bf16 or q8 only when asked for, for a
    /// frozen weight (or a trainable one held fixed, whose value cannot change under the
    /// rounding), and for enough rows (bf16).
    private func precision(rows: Int) -> ProductPrecision {
        guard !weight.isTrainable || weight.isHeldFixed else { return .fp32 }
        switch productPrecision {
        case .fp32: return .fp32
        case .bf16: return rows >= Linear.bf16MinimumRows ? .bf16 : .fp32
        case .q8: return .q8
        }
    }

    /// Keeps the input gradient in `pool`'s buffer `name` (see `BufferPool`).
    public func shareBackwardBuffers(_ pool: BufferPool, as name: String) {
        inputGradient = pool.buffer(name + ".dx")
    }

    /// Keeps the output in `pool`'s buffer `name` (gradient checkpointing: blocks share their
    /// forward activations and recompute them), or in a buffer of its own when `pool` is nil.
    public func shareForwardBuffers(_ pool: BufferPool?, as name: String) {
        output.shareKept(pool, as: name + ".y")
    }

    /// Writes outputs that are not kept (`forward(_:keepOutput:)`) to `pool`'s buffer `name`.
    public func shareDroppedBuffers(_ pool: BufferPool, as name: String) {
        output.shareDropped(pool, as: name + ".y")
    }

    /// Whether `backward` reads the input of the last forward: the weight's gradient `dyᵀx`
    /// does, and so may the adapter's; the input gradient `dy W` does not. When false, whatever
    /// produced the input need not keep it (`DroppableActivation`).
    public var readsInputInBackward: Bool {
        weight.isTrainable || (adapter?.readsInputInBackward ?? false)
    }

    /// The layer's own parameters (weight, then bias), not the adapter's.
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// `y = x Wᵀ + b (+ adapter(x))`. With `keepOutput` false the caller promises that no
    /// backward reads `y` (it feeds a residual sum), and `y` may be overwritten by the next block.
    public func forward(_ x: Tensor, keepOutput: Bool = true) -> Tensor {
        precondition(x.columns == inFeatures, "Linear expects rows of \(inFeatures), got \(x.shape)")
        input = x
        let y = output.tensor(Array(x.shape.dropLast()) + [outFeatures], keep: keepOutput)
        Gemm.packedProduct(transposeB: true, m: x.rows, n: outFeatures, k: inFeatures, a: x.pointer, lda: inFeatures,
                           b: weight.matrix, precision: precision(rows: x.rows), beta: 0, c: y.pointer, ldc: outFeatures)
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
        let baseGradient = adapter?.baseOutputGradient(dy) ?? dy
        // dx = dy W, with dy as the adapter hands it (DoRA scales it per output)
        Gemm.packedProduct(transposeB: false, m: n, n: inFeatures, k: outFeatures, a: baseGradient.pointer, lda: outFeatures,
                           b: weight.matrix, precision: precision(rows: n), beta: beta, c: dx.pointer, ldc: inFeatures)
        if weight.isTrainable {
            // dW += dyᵀ x; in bf16 too when the weight's products are (a gradient estimate).
            let g = weight.gradientForAccumulation()
            if precision(rows: n) == .bf16 {
                Gemm.bf16TransposedProduct(m: outFeatures, n: inFeatures, k: n, a: baseGradient.pointer, lda: outFeatures,
                                           b: x.pointer, ldb: inFeatures, beta: 1, c: g.pointer, ldc: inFeatures)
            } else {
                Gemm.sgemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: n,
                           a: baseGradient.pointer, lda: outFeatures, b: x.pointer, ldb: inFeatures,
                           beta: 1, c: g.pointer, ldc: inFeatures)
            }
        }
        if let b = bias, b.isTrainable {
            Elementwise.sumRows(dy, into: b.gradientForAccumulation(), accumulate: true)
        }
        adapter?.backward(dy, addingInto: dx)
    }
}
