import Tensor

/// DoRA (Liu et al., 2024): the layer's weight becomes `W' = diag(g) (W + s·B A)` with
/// `g = m / ‖W + s·B A‖` per output feature, so `y = g ⊙ (x Wᵀ + s·x Aᵀ Bᵀ) + b`. `B` `[out, r]`,
/// `A` `[r, in]` and the magnitude `m` `[out]` train.
///
/// As in PEFT's `DoraLinearLayer`: the norm is the 2-norm of each row of the `[out, in]` weight
/// (each output's column in the paper's layout), recomputed from the current factors at every
/// forward and treated as a constant in backward (detached, the paper's §4.3), so the factors'
/// gradients do not flow through it. The frozen weight stays packed: its rows are decoded one
/// panel at a time to take the norm, and the base product is the layer's own.
///
/// The layer computes `x Wᵀ + b`; forward rescales that in place, and backward hands the layer
/// `dy ⊙ g` (`baseOutputGradient`) for its own `dx = dy W`.
public final class DoRAAdapter: LinearAdapter {
    public let b: Parameter
    public let a: Parameter
    /// m `[out]`.
    public let magnitude: Parameter
    public var scale: Float
    public let rank: Int
    public var inFeatures: Int { a.shape[1] }
    public var outFeatures: Int { b.shape[0] }
    public var parameters: [Parameter] { [b, a, magnitude] }

    /// The layer's frozen weight and bias, read, never written.
    private let weight: Parameter
    private let bias: Parameter?

    /// When set, forward uses this norm instead of computing it: the detached norm held at a
    /// point, so finite differences can check the gradients backward computes.
    public var heldNorm: [Float]?

    private var input: Tensor?
    private var norm: [Float] = []
    private var factor: [Float] = []                      // g = m / ‖W + s·B A‖
    private var normCache: (b: [Float], a: [Float], norm: [Float])?
    private var projected = ActivationBuffer()            // u = x Aᵀ
    private var projectedGradient = ActivationBuffer()    // du
    private var combined = ActivationBuffer()             // c = x Wᵀ + s·u Bᵀ
    private var scaledGradient = ActivationBuffer()       // dy ⊙ g

    /// `b` `[out, r]`, `a` `[r, in]`, `magnitude` `[out]`, all trainable, on the layer whose
    /// `weight` and `bias` are given.
    public init(b: Tensor, a: Tensor, magnitude: Tensor, scale: Float, weight: Parameter, bias: Parameter?) {
        precondition(b.rank == 2 && a.rank == 2 && b.shape[1] == a.shape[0],
                     "DoRA shapes B \(b.shape), A \(a.shape) do not chain")
        precondition(weight.shape == [b.shape[0], a.shape[1]] && magnitude.count == b.shape[0],
                     "DoRA on a \(weight.shape) weight with B \(b.shape), A \(a.shape), magnitude \(magnitude.shape)")
        self.b = Parameter(b, trainable: true)
        self.a = Parameter(a, trainable: true)
        self.magnitude = Parameter(magnitude, trainable: true)
        self.scale = scale
        self.rank = a.shape[0]
        self.weight = weight
        self.bias = bias
    }

    /// `‖W + s·B A‖` per output row for the current factors (recomputed only when B or A
    /// changed since the last call: generation calls forward once per token).
    public func weightNorm() -> [Float] {
        let bv = b.value.array, av = a.value.array
        if let c = normCache, c.b == bv, c.a == av { return c.norm }
        let norm = DoRAAdapter.rowNorms(of: weight.matrix, plus: b.value, a.value, scale: scale)
        normCache = (bv, av, norm)
        return norm
    }

    /// The row norms of `W + s·B A`, decoding `W` a panel of rows at a time.
    public static func rowNorms(of w: PackedMatrix, plus b: Tensor, _ a: Tensor, scale: Float) -> [Float] {
        let rows = w.rows, columns = w.columns, r = a.rows
        let panel = max(1, min(rows, 65_536 / max(1, columns)))
        let buffer = Tensor(zeros: [panel, columns])
        var norms = [Float](repeating: 0, count: rows)
        var start = 0
        while start < rows {
            let count = min(panel, rows - start)
            w.decodeRows(start..<(start + count), into: buffer.pointer)
            Gemm.sgemm(transposeA: false, transposeB: false, m: count, n: columns, k: r, alpha: scale,
                       a: b.pointer + start * r, lda: r, b: a.pointer, ldb: columns,
                       beta: 1, c: buffer.pointer, ldc: columns)
            for i in 0..<count {
                let row = buffer.pointer + i * columns
                var sum: Double = 0
                for j in 0..<columns { sum += Double(row[j]) * Double(row[j]) }
                norms[start + i] = Float(sum.squareRoot())
            }
            start += count
        }
        return norms
    }

    public func forward(_ x: Tensor, addingInto y: Tensor) {
        precondition(x.columns == inFeatures && y.rows == x.rows && y.columns == outFeatures,
                     "DoRA forward x \(x.shape), y \(y.shape)")
        input = x
        norm = heldNorm ?? weightNorm()
        let m = magnitude.value.pointer
        factor = (0..<outFeatures).map { m[$0] / norm[$0] }
        let n = x.rows, out = outFeatures
        // c = (y − b) + s·x Aᵀ Bᵀ, kept for the magnitude's gradient; then y = g ⊙ c + b.
        let c = combined.tensor([n, out])
        Elementwise.copy(y, into: c)
        let bv = bias?.value.pointer
        if let bv { for i in 0..<n { let row = c.pointer + i * out; for j in 0..<out { row[j] -= bv[j] } } }
        LowRankProduct.forward(x, factors: [a.value, b.value], scale: scale,
                               hidden: [projected.tensor([n, rank])], addingInto: c)
        for i in 0..<n {
            let yr = y.pointer + i * out, cr = c.pointer + i * out
            for j in 0..<out { yr[j] = factor[j] * cr[j] + (bv?[j] ?? 0) }
        }
    }

    /// `dy ⊙ g`, the gradient of the (rescaled) base and low-rank outputs.
    public func baseOutputGradient(_ dy: Tensor) -> Tensor {
        precondition(factor.count == outFeatures && dy.columns == outFeatures, "DoRA backward before forward")
        let out = outFeatures
        let scaled = scaledGradient.tensor(dy.shape)
        for i in 0..<dy.rows {
            let src = dy.pointer + i * out, dst = scaled.pointer + i * out
            for j in 0..<out { dst[j] = src[j] * factor[j] }
        }
        return scaled
    }

    public func backward(_ dy: Tensor, addingInto dx: Tensor) {
        guard let x = input else { preconditionFailure("DoRA backward before forward") }
        precondition(dy.rows == x.rows && dy.columns == outFeatures && dx.count == x.count,
                     "DoRA backward dy \(dy.shape), dx \(dx.shape) for x \(x.shape)")
        let n = x.rows, out = outFeatures
        if magnitude.isTrainable {
            // ∂L/∂m_j = Σ_i dy_ij c_ij / ‖·‖_j (the norm a constant).
            let c = combined.tensor([n, out])
            let dm = magnitude.gradientForAccumulation().pointer
            var sums = [Double](repeating: 0, count: out)
            for i in 0..<n {
                let dr = dy.pointer + i * out, cr = c.pointer + i * out
                for j in 0..<out { sums[j] += Double(dr[j]) * Double(cr[j]) }
            }
            for j in 0..<out { dm[j] += Float(sums[j] / Double(norm[j])) }
        }
        let scaled = baseOutputGradient(dy)
        LowRankProduct.backward(scaled, input: x, factors: [a.value, b.value], scale: scale,
                                hidden: [projected.tensor([n, rank])],
                                gradients: [a, b].map { $0.isTrainable ? $0.gradientForAccumulation() : nil },
                                hiddenGradients: [projectedGradient.tensor([n, rank])], addingInto: dx)
    }
}
