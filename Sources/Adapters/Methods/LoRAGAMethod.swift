import Models
import NN
import Tensor

extension AdapterMethod {
    public static let loraGA = AdapterMethod(declaring: "lora-ga")
}

/// LoRA-GA (Wang et al., 2024, "LoRA-GA: Low-Rank Adaptation with Gradient Approximation",
/// and the authors' code, `lora_ga_init` in their PEFT fork): LoRA `W + s·B A` (both trained)
/// whose first step best approximates full fine-tuning's. From the SVD of the estimated
/// gradient `G = U S Vᵀ` (`GradientEstimate`: the summed gradients over `initSamples`):
///
/// - `A₀ = V[:, :r]ᵀ`, `B₀ = U[:, r:2r]` (the authors' default direction `ArB2r`);
/// - their stable scale: both times `out^¼ / √γ` (`loraGAGamma`, default 16);
/// - the model must start unchanged, so the authors subtract `s·B₀A₀` from `W`. Here `W` is
///   left as it is (packed, quantised or mapped) and the adapter is PiSSA's (`PiSSAAdapter`):
///   `B₀`, `A₀` kept as frozen factors and `s·(B A − B₀ A₀)` computed, so no fp32 copy of any
///   weight exists, at the cost of a second rank-r product per layer. Saving, merging and the
///   rank-2r PEFT export are PiSSA's too.
///
/// The SVD is randomized as the authors' `svd_lowrank(q=min(4r, min(m,n)))` with
/// `svdIterations` power iterations (theirs: 4). The magnitude of `G` does not matter (both
/// factors are orthonormal before scaling), so summing per-sample means instead of the
/// authors' average of batch means changes nothing but the weighting of unequal batches.
public enum LoRAGAMethod: FineTuningMethod {
    public static let method = AdapterMethod.loraGA
    public static let displayName = "LoRA-GA"

    public static func initialise(_ targets: [TargetableLinear], of model: TrainableModel, settings: AdapterSettings,
                                  context: InitializationContext) throws -> (adapters: [Adapter], report: InitializationReport?) {
        let estimate = try GradientEstimate(settings: settings, context: context)
        let (factors, summary) = try estimate.map(targets, of: model, seed: settings.seed) { _, g, generator in
            try initialFactors(gradient: g, settings: settings, generator: &generator)
        }
        let adapters: [Adapter] = factors.map {
            PiSSAAdapter(b: $0.b.copy(), a: $0.a.copy(), initialB: $0.b, initialA: $0.a, scale: settings.scale)
        }
        let report = InitializationReport(summary, effectiveLearningRate: nil,
                                          energyKept: zip(targets, factors).map { ($0.modulePath, $1.kept) },
                                          decomposed: "the gradient's leading \(2 * settings.rank) directions")
        return (adapters, report)
    }

    /// `B₀` `[out, r]`, `A₀` `[r, in]` from a target's gradient `g`, and the fraction of ‖G‖²
    /// its leading 2r singular values hold.
    public static func initialFactors(gradient g: Tensor, settings: AdapterSettings,
                                      generator: inout SeededGenerator) throws -> (b: Tensor, a: Tensor, kept: Double) {
        let r = settings.rank, m = g.rows, n = g.columns
        let q = min(4 * r, m, n)
        let svd = try SVD.randomized(g, rank: q, powerIterations: settings.svdIterations, generator: &generator)
        let b = Tensor(zeros: [m, r]), a = Tensor(zeros: [r, n])
        let stable = Float((Double(m).squareRoot().squareRoot()) / settings.loraGAGamma.squareRoot())
        for j in 0..<r where r + j < q {            // B₀ = U[:, r:2r]
            for i in 0..<m { b.pointer[i * r + j] = svd.u.pointer[i * q + r + j] * stable }
        }
        for i in 0..<min(r, q) {                    // A₀ = V[:, :r]ᵀ
            for j in 0..<n { a.pointer[i * n + j] = svd.vt.pointer[i * n + j] * stable }
        }
        let total = Reductions.squaredNorm(g)
        let leading = svd.singularValues.prefix(2 * r).reduce(0.0) { $0 + Double($1) * Double($1) }
        return (b, a, total > 0 ? min(1, leading / total) : 0)
    }

    /// As PiSSA: the offset's rank-2r conversion, which keeps the scale (`2·alpha / 2r`).
    public static func peftAlpha(_ settings: AdapterSettings) -> Double { PiSSAMethod.peftAlpha(settings) }

    public static func peftConfigOverrides(_ settings: AdapterSettings) -> [String: Any] {
        PiSSAMethod.peftConfigOverrides(settings)
    }

    /// PiSSA's factors: `lora_B`, `lora_A` and the frozen `lora_B_init`, `lora_A_init`.
    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        try PiSSAMethod.restore(on: linear, settings: settings, factor: factor)
    }
}
