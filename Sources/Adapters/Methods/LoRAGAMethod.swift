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
///   left as it is (packed, quantised or mapped) and the adapter keeps `B₀`, `A₀` as frozen
///   factors and computes `s·(B A − B₀ A₀)`: no fp32 copy of any weight, at the cost of a
///   second rank-r product per layer (two r-wide activations more).
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
        let adapters: [Adapter] = factors.map { LoRAGAAdapter(b: $0.b, a: $0.a, scale: settings.scale) }
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

    /// PEFT's scale: the trained factors and the offset are written with `s` folded into
    /// `lora_A`, so `lora_alpha` = PEFT's `r` (2r) and its scale is 1.
    public static func peftAlpha(_ settings: AdapterSettings) -> Double { Double(peftRank(settings)) }

    public static func peftRank(_ settings: AdapterSettings) -> Int { 2 * settings.rank }

    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        let r = settings.rank, out = linear.outFeatures, n = linear.inFeatures
        let adapter = LoRAGAAdapter(b: try factor("lora_B0", [out, r]), a: try factor("lora_A0", [r, n]),
                                    scale: settings.scale)
        adapter.trained.b.value = try factor("lora_B", [out, r])
        adapter.trained.a.value = try factor("lora_A", [r, n])
        return adapter
    }
}

/// LoRA-GA's update on one layer: `s·(B A − B₀ A₀)`, with `B`, `A` trained from `B₀`, `A₀`
/// and the offset frozen, so that the layer starts at `W`.
public final class LoRAGAAdapter: Adapter {
    /// `B`, `A`: trained, starting at `B₀`, `A₀`.
    let trained: LoRAAdapter
    /// `B₀`, `A₀` at scale `−s`: frozen.
    let offset: LoRAAdapter

    /// `b` `[out, r]` and `a` `[r, in]` start both the trained factors and the offset.
    public init(b: Tensor, a: Tensor, scale: Float) {
        trained = LoRAAdapter(b: b.copy(), a: a.copy(), scale: scale)
        offset = LoRAAdapter(b: b, a: a, scale: -scale)
        offset.b.isTrainable = false
        offset.a.isTrainable = false
    }

    public var inFeatures: Int { trained.inFeatures }
    public var outFeatures: Int { trained.outFeatures }
    public var parameters: [Parameter] { trained.parameters + offset.parameters }

    public func forward(_ x: Tensor, addingInto y: Tensor) {
        trained.forward(x, addingInto: y)
        offset.forward(x, addingInto: y)
    }

    public func backward(_ dy: Tensor, addingInto dx: Tensor) {
        trained.backward(dy, addingInto: dx)
        offset.backward(dy, addingInto: dx)
    }

    public var factors: [(name: String, parameter: Parameter)] {
        [("lora_B", trained.b), ("lora_A", trained.a), ("lora_B0", offset.b), ("lora_A0", offset.a)]
    }
    public var trainedFactorNames: [String] { ["lora_A", "lora_B"] }

    public func merged(into base: Tensor) -> Tensor {
        let w = adding(trained.b.value, trained.a.value, scale: trained.scale, to: base)
        Gemm.multiply(offset.b.value, offset.a.value, alpha: offset.scale, beta: 1, into: w)
        return w
    }

    /// Rank 2r: `lora_B = [B, B₀]`, `lora_A = s·[A; −A₀]`, PEFT scale 1 (`peftAlpha`).
    public func peftFactors() -> (a: Tensor, b: Tensor) {
        let r = trained.rank, out = outFeatures, n = inFeatures
        let a = Tensor(zeros: [2 * r, n]), b = Tensor(zeros: [out, 2 * r])
        Elementwise.scale(trained.a.value, by: trained.scale, into: a.rows(0..<r))
        Elementwise.scale(offset.a.value, by: offset.scale, into: a.rows(r..<(2 * r)))
        let tb = trained.b.value, ob = offset.b.value
        for i in 0..<out {
            (b.pointer + i * 2 * r).update(from: tb.pointer + i * r, count: r)
            (b.pointer + i * 2 * r + r).update(from: ob.pointer + i * r, count: r)
        }
        return (a, b)
    }
}
