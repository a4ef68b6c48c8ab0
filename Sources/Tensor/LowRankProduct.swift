/// The products of a low-rank update `y += s · x F₀ᵀ F₁ᵀ ⋯ F_{k−1}ᵀ` on row matrices: `x` is
/// `[n, in]`, the factors run from the input side (`F₀` `[r, in]`) to the output side
/// (`F_{k−1}` `[out, r]`), and every leading dimension comes from the tensors' shapes.
///
/// LoRA is the chain `A, B`; LoRA-XS and LoRA-SB are `A, R, B`. The scale is applied once, on
/// the output side, in forward and in backward.
public enum LowRankProduct {
    /// `hidden[i] = hidden[i−1] F_iᵀ` (with `hidden[−1] = x`) for every factor but the last,
    /// then `y += s · hidden[k−2] F_{k−1}ᵀ`. `hidden` holds one `[n, ·]` tensor per inner factor
    /// and keeps what backward needs.
    public static func forward(_ x: Tensor, factors: [Tensor], scale: Float, hidden: [Tensor],
                               addingInto y: Tensor) {
        precondition(factors.count >= 2 && hidden.count == factors.count - 1,
                     "a low-rank chain of \(factors.count) factors needs \(factors.count - 1) hidden tensors")
        var input = x
        for (factor, output) in zip(factors.dropLast(), hidden) {
            Gemm.multiply(input, factor, transposeB: true, into: output)
            input = output
        }
        Gemm.multiply(input, factors[factors.count - 1], transposeB: true, alpha: scale, beta: 1, into: y)
    }

    /// The backward of `forward` for output gradient `dy`: `gradients[i]` (nil for a frozen
    /// factor) accumulates `∂/∂F_i`, and `dx` accumulates the input gradient. `hidden` is what
    /// forward left; `hiddenGradients` are scratch tensors of the same shapes.
    public static func backward(_ dy: Tensor, input x: Tensor, factors: [Tensor], scale: Float,
                                hidden: [Tensor], gradients: [Tensor?], hiddenGradients: [Tensor],
                                addingInto dx: Tensor) {
        let k = factors.count
        precondition(gradients.count == k && hidden.count == k - 1 && hiddenGradients.count == k - 1,
                     "a low-rank chain of \(k) factors: \(gradients.count) gradients, \(hidden.count) hidden")
        // Going from the output side to the input: g is the gradient of factor i's output, with
        // the scale carried by the first step only.
        var g = dy
        var alpha = scale
        for i in stride(from: k - 1, through: 0, by: -1) {
            let input = i == 0 ? x : hidden[i - 1]
            if let dF = gradients[i] {
                Gemm.multiply(g, input, transposeA: true, alpha: alpha, beta: 1, into: dF)   // dF_i += gᵀ h
            }
            if i == 0 {
                Gemm.multiply(g, factors[0], alpha: alpha, beta: 1, into: dx)   // dx += g F₀
            } else {
                Gemm.multiply(g, factors[i], alpha: alpha, into: hiddenGradients[i - 1])   // g ← g F_i
                g = hiddenGradients[i - 1]
            }
            alpha = 1
        }
    }
}
