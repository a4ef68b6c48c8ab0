import Tensor

/// Classic LoRA: `Δ(x) = s · B A x` with `B` `[out, r]`, `A` `[r, in]`, both trainable, and
/// `s = alpha / r` chosen by the caller.
///
/// Row form, as computed: `u = x Aᵀ` `[n, r]`, `y += s · u Bᵀ`.
public final class LoRAAdapter: LinearAdapter {
    public let b: Parameter
    public let a: Parameter
    public var scale: Float
    public let rank: Int
    public var inFeatures: Int { a.shape[1] }
    public var outFeatures: Int { b.shape[0] }
    public var parameters: [Parameter] { [b, a] }

    private var input: Tensor?
    private var projected = ActivationBuffer()          // u = x Aᵀ
    private var projectedGradient = ActivationBuffer()  // du

    /// `b` `[out, r]`, `a` `[r, in]`, both trainable.
    public init(b: Tensor, a: Tensor, scale: Float) {
        precondition(b.rank == 2 && a.rank == 2 && b.shape[1] == a.shape[0],
                     "LoRA shapes B \(b.shape), A \(a.shape) do not chain")
        self.b = Parameter(b, trainable: true)
        self.a = Parameter(a, trainable: true)
        self.scale = scale
        self.rank = a.shape[0]
    }

    public func forward(_ x: Tensor, addingInto y: Tensor) {
        let n = x.rows
        precondition(x.columns == inFeatures && y.rows == n && y.columns == outFeatures,
                     "LoRA forward x \(x.shape), y \(y.shape)")
        input = x
        let u = projected.tensor([n, rank])
        Gemm.sgemm(transposeA: false, transposeB: true, m: n, n: rank, k: inFeatures,
                   a: x.pointer, lda: inFeatures, b: a.value.pointer, ldb: inFeatures,
                   c: u.pointer, ldc: rank)
        Gemm.sgemm(transposeA: false, transposeB: true, m: n, n: outFeatures, k: rank,
                   alpha: scale, a: u.pointer, lda: rank, b: b.value.pointer, ldb: rank,
                   beta: 1, c: y.pointer, ldc: outFeatures)
    }

    public func backward(_ dy: Tensor, addingInto dx: Tensor) {
        guard let x = input else { preconditionFailure("LoRA backward before forward") }
        let n = x.rows
        precondition(dy.rows == n && dy.columns == outFeatures && dx.count == x.count,
                     "LoRA backward dy \(dy.shape), dx \(dx.shape) for x \(x.shape)")
        if b.isTrainable {
            // dB += s · dyᵀ u
            let u = projected.tensor([n, rank])
            Gemm.sgemm(transposeA: true, transposeB: false, m: outFeatures, n: rank, k: n,
                       alpha: scale, a: dy.pointer, lda: outFeatures, b: u.pointer, ldb: rank,
                       beta: 1, c: b.gradientForAccumulation().pointer, ldc: rank)
        }
        // du = s · dy B
        let du = projectedGradient.tensor([n, rank])
        Gemm.sgemm(transposeA: false, transposeB: false, m: n, n: rank, k: outFeatures,
                   alpha: scale, a: dy.pointer, lda: outFeatures, b: b.value.pointer, ldb: rank,
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
