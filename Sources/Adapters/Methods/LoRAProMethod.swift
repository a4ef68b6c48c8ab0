import Models
import NN
import Tensor

extension AdapterMethod {
    public static let loraPro = AdapterMethod(declaring: "lora-pro")
}

/// LoRA-Pro (Wang et al., 2024, "LoRA-Pro: Are Low-Rank Adapters Properly Optimized?", and
/// the authors' code, `lorapro_full_adjustment` in their DeepSpeed fork): plain LoRA
/// `W + s·B A` (initialised as LoRA) whose factor gradients are replaced, before each optimizer
/// step, by the ones whose equivalent update `s·(B g_A + g_B A)` is closest to full
/// fine-tuning's gradient `g` (`LoRAProAdapter.adjustGradients`).
///
/// What differs from the authors' optimizer: they keep Adam's moments for the full `out × in`
/// equivalent gradient, precondition it there and project the preconditioned matrix back to
/// the factors. Here the adjustment is applied to the raw gradients (the SGD-equivalent
/// adjustment of the paper's §2.2) and AdamW then runs on `A` and `B` as for any method, so no
/// full-size moment exists; and gradient clipping acts on the adjusted gradients (theirs
/// clip before the adjustment).
public enum LoRAProMethod: FineTuningMethod {
    public static let method = AdapterMethod.loraPro
    public static let displayName = "LoRA-Pro"

    public static func initialise(_ targets: [TargetableLinear], of model: TrainableModel, settings: AdapterSettings,
                                  context: InitializationContext) throws -> (adapters: [Adapter], report: InitializationReport?) {
        (LoRAMethod.initialFactors(targets, settings: settings).map {
            LoRAProAdapter(LoRAAdapter(b: $0.b, a: $0.a, scale: settings.scale))
        }, nil)
    }

    /// As LoRA: the factors with their own alpha.
    public static func peftAlpha(_ settings: AdapterSettings) -> Double { settings.alpha }

    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        let (b, a) = try LoRAMethod.restoredFactors(on: linear, settings: settings, factor: factor)
        return LoRAProAdapter(LoRAAdapter(b: b, a: a, scale: settings.scale))
    }
}

/// LoRA whose gradients are adjusted (LoRA-Pro, Theorems 2.1 and 2.2). With the LoRA gradients
/// `g_A = s Bᵀ g`, `g_B = s g Aᵀ` of the full gradient `g`:
///
///     g̃_A = (1/s²) (BᵀB)⁻¹ g_A + X A
///     g̃_B = (1/s²) [I − B (BᵀB)⁻¹ Bᵀ] g_B (A Aᵀ)⁻¹ − B X
///     BᵀB X + X A Aᵀ = −(1/s²) (BᵀB)⁻¹ g_A Aᵀ   (the X closest to the LoRA gradients)
///
/// so that `s·(B g̃_A + g̃_B A) = P_B g + (I − P_B) g P_A`, the projection of `g` onto the
/// updates LoRA can make. Inverses are the authors' `pinv(M + 1e-8·I)`. At `B = 0` (the first
/// step) this is their first-step branch: `g̃_A = g_A = 0`, `g̃_B = (1/s²) g_B (A Aᵀ)⁻¹`.
public final class LoRAProAdapter: Adapter {
    let lora: LoRAAdapter
    /// The authors' regulariser of the Gram matrices before their pseudo-inverse.
    static let delta: Float = 1e-8

    init(_ lora: LoRAAdapter) { self.lora = lora }

    public var inFeatures: Int { lora.inFeatures }
    public var outFeatures: Int { lora.outFeatures }
    public var parameters: [Parameter] { lora.parameters }
    public func forward(_ x: Tensor, addingInto y: Tensor) { lora.forward(x, addingInto: y) }
    public func backward(_ dy: Tensor, addingInto dx: Tensor) { lora.backward(dy, addingInto: dx) }
    public var factors: [(name: String, parameter: Parameter)] { lora.factors }
    public var trainedFactorNames: [String] { lora.trainedFactorNames }
    public func merged(into base: Tensor) -> Tensor { lora.merged(into: base) }
    public func peftFactors() -> (a: Tensor, b: Tensor) { lora.peftFactors() }

    public func adjustGradients() {
        guard lora.a.isTrainable, lora.b.isTrainable,
              let gA = lora.a.gradient, let gB = lora.b.gradient else { return }
        let (adjustedA, adjustedB) = Self.adjusted(a: lora.a.value, b: lora.b.value, gradientA: gA,
                                                   gradientB: gB, scale: lora.scale)
        gA.copy(from: adjustedA)
        gB.copy(from: adjustedB)
    }

    /// `(g̃_A, g̃_B)` for factors `a` `[r, in]`, `b` `[out, r]` and their LoRA gradients.
    public static func adjusted(a: Tensor, b: Tensor, gradientA gA: Tensor, gradientB gB: Tensor,
                                scale s: Float) -> (a: Tensor, b: Tensor) {
        let inverseSquare = 1 / (s * s)
        let aat = Gemm.product(a, a, transposeB: true)              // A Aᵀ, r×r
        let btb = Gemm.product(b, b, transposeA: true)              // BᵀB, r×r
        let aatInverse = regularisedInverse(aat), btbInverse = regularisedInverse(btb)

        // X from BᵀB X + X A Aᵀ = −(1/s²) (BᵀB)⁻¹ g_A Aᵀ. The coefficients are positive
        // semi-definite; should the equation have no solution (only when both are singular
        // along a shared direction), X = 0 is the authors' "zero" variant.
        let right = Gemm.product(Gemm.product(btbInverse, gA), a, transposeB: true)
        Elementwise.scale(right, by: -inverseSquare, into: right)
        let x = (try? SylvesterEquation.solveSymmetric(btb, aat, right)) ?? Tensor(zeros: [aat.rows, aat.rows])

        let newA = Gemm.product(btbInverse, gA)                     // (1/s²)(BᵀB)⁻¹ g_A + X A
        Elementwise.scale(newA, by: inverseSquare, into: newA)
        Gemm.multiply(x, a, alpha: 1, beta: 1, into: newA)

        let t = Gemm.product(gB, aatInverse)                        // g_B (A Aᵀ)⁻¹
        let projected = Gemm.product(b, Gemm.product(btbInverse, Gemm.product(b, t, transposeA: true)))
        Elementwise.subtract(t, projected, into: t)                 // [I − B (BᵀB)⁻¹ Bᵀ] g_B (A Aᵀ)⁻¹
        Elementwise.scale(t, by: inverseSquare, into: t)
        Gemm.multiply(b, x, alpha: -1, beta: 1, into: t)            // − B X
        return (newA, t)
    }

    /// `pinv(M + δ·I)` of a symmetric Gram matrix.
    static func regularisedInverse(_ m: Tensor) -> Tensor {
        let shifted = m.copy()
        for i in 0..<m.rows { shifted.pointer[i * m.rows + i] += delta }
        // Only non-finite factors fail to decompose: NaN then reaches the gradients, and the
        // trainer stops on the non-finite gradient norm with its own message.
        return (try? SymmetricEigendecomposition(shifted).pseudoInverse()) ?? Tensor(shape: m.shape, repeating: .nan)
    }
}
