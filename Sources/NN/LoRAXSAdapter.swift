import Tensor

/// The LoRA-XS / LoRA-SB update `Δ(x) = s · B R A x` with `B` `[out, r]`, `R` `[r, r]`,
/// `A` `[r, in]` and scale `s`. By default only `R` trains (B and A stay frozen, which is what
/// makes LoRA-SB's parameter count r² per layer); any of the three can be marked trainable.
///
/// Row form, as computed: `u = x Aᵀ` `[n, r]`, `v = u Rᵀ`, `y += s · v Bᵀ`.
public final class LoRAXSAdapter: LinearAdapter {
    public let b: Parameter
    public let r: Parameter
    public let a: Parameter
    public var scale: Float
    public let rank: Int
    public var inFeatures: Int { a.shape[1] }
    public var outFeatures: Int { b.shape[0] }
    public var parameters: [Parameter] { [b, r, a] }

    private var input: Tensor?
    private var projected = ActivationBuffer()   // u = x Aᵀ
    private var mixed = ActivationBuffer()       // v = u Rᵀ
    private var mixedGradient = ActivationBuffer()   // dv
    private var projectedGradient = ActivationBuffer()   // du

    /// `b` `[out, r]`, `r` `[r, r]`, `a` `[r, in]`; R trainable, B and A frozen.
    public init(b: Tensor, r: Tensor, a: Tensor, scale: Float = 1) {
        precondition(b.rank == 2 && r.rank == 2 && a.rank == 2, "LoRA-XS factors must be matrices")
        let k = r.shape[0]
        precondition(r.shape == [k, k] && b.shape[1] == k && a.shape[0] == k,
                     "LoRA-XS shapes B \(b.shape), R \(r.shape), A \(a.shape) do not chain")
        self.b = Parameter(b, trainable: false)
        self.r = Parameter(r, trainable: true)
        self.a = Parameter(a, trainable: false)
        self.scale = scale
        self.rank = k
    }

    public func forward(_ x: Tensor, addingInto y: Tensor) {
        let n = x.rows
        precondition(x.columns == inFeatures && y.rows == n && y.columns == outFeatures,
                     "LoRA-XS forward x \(x.shape), y \(y.shape)")
        input = x
        let u = projected.tensor([n, rank])
        let v = mixed.tensor([n, rank])
        Gemm.sgemm(transposeA: false, transposeB: true, m: n, n: rank, k: inFeatures,
                   a: x.pointer, lda: inFeatures, b: a.value.pointer, ldb: inFeatures,
                   c: u.pointer, ldc: rank)
        Gemm.sgemm(transposeA: false, transposeB: true, m: n, n: rank, k: rank,
                   a: u.pointer, lda: rank, b: r.value.pointer, ldb: rank,
                   c: v.pointer, ldc: rank)
        Gemm.sgemm(transposeA: false, transposeB: true, m: n, n: outFeatures, k: rank,
                   alpha: scale, a: v.pointer, lda: rank, b: b.value.pointer, ldb: rank,
                   beta: 1, c: y.pointer, ldc: outFeatures)
    }

    public func backward(_ dy: Tensor, addingInto dx: Tensor) {
        guard let x = input else { preconditionFailure("LoRA-XS backward before forward") }
        let n = x.rows
        precondition(dy.rows == n && dy.columns == outFeatures && dx.count == x.count,
                     "LoRA-XS backward dy \(dy.shape), dx \(dx.shape) for x \(x.shape)")
        let u = projected.tensor([n, rank])
        let dv = mixedGradient.tensor([n, rank])
        // dv = s · dy B
        Gemm.sgemm(transposeA: false, transposeB: false, m: n, n: rank, k: outFeatures,
                   alpha: scale, a: dy.pointer, lda: outFeatures, b: b.value.pointer, ldb: rank,
                   c: dv.pointer, ldc: rank)
        if b.isTrainable {
            // dB += s · dyᵀ v
            let v = mixed.tensor([n, rank])
            Gemm.sgemm(transposeA: true, transposeB: false, m: outFeatures, n: rank, k: n,
                       alpha: scale, a: dy.pointer, lda: outFeatures, b: v.pointer, ldb: rank,
                       beta: 1, c: b.gradientForAccumulation().pointer, ldc: rank)
        }
        if r.isTrainable {
            // dR += dvᵀ u
            Gemm.sgemm(transposeA: true, transposeB: false, m: rank, n: rank, k: n,
                       a: dv.pointer, lda: rank, b: u.pointer, ldb: rank,
                       beta: 1, c: r.gradientForAccumulation().pointer, ldc: rank)
        }
        // du = dv R
        let du = projectedGradient.tensor([n, rank])
        Gemm.sgemm(transposeA: false, transposeB: false, m: n, n: rank, k: rank,
                   a: dv.pointer, lda: rank, b: r.value.pointer, ldb: rank,
                   c: du.pointer, ldc: rank)
        if a.isTrainable {
            // dA += duᵀ x
            Gemm.sgemm(transposeA: true, transposeB: false, m: rank, n: inFeatures, k: n,
                       a: du.pointer, lda: rank, b: x.pointer, ldb: inFeatures,
                       beta: 1, c: a.gradientForAccumulation().pointer, ldc: inFeatures)
        }
        // dx += du A
        Gemm.sgemm(transposeA: false, transposeB: false, m: n, n: inFeatures, k: rank,
                   a: du.pointer, lda: rank, b: a.value.pointer, ldb: inFeatures,
                   beta: 1, c: dx.pointer, ldc: inFeatures)
    }
}
