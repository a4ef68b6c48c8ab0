import Models
import NN
import Tensor

extension AdapterMethod {
    public static let pissa = AdapterMethod(declaring: "pissa")
}

/// PiSSA (Meng et al., 2024, "Principal Singular Values and Singular Vectors Adaptation"): LoRA
/// whose `B`, `A` start at the top-r singular part of `W = U Σ Vᵀ`, as PEFT's
/// `init_lora_weights = "pissa"` sets them (`A = √(Σ_r/s) V_rᵀ`, `B = U_r √(Σ_r/s)`), training on
/// the frozen residual `W − s·B₀ A₀`. The residual is computed as `W − s·B₀ A₀` on the fly
/// (`PiSSAAdapter`): the frozen weight stays as loaded, the adapter file holds `B₀`, `A₀` beside
/// `B`, `A`, and the PEFT export is PiSSA's standard conversion to a rank-2r LoRA of the
/// original weight.
public enum PiSSAMethod: FineTuningMethod {
    public static let method = AdapterMethod.pissa
    public static let displayName = "PiSSA"

    public static func initialise(_ targets: [TargetableLinear], of model: TrainableModel, settings: AdapterSettings,
                                  context: InitializationContext) throws -> (adapters: [Adapter], report: InitializationReport?) {
        let s = settings.scale
        let adapters: [Adapter] = try targets.map { t in
            // A transient fp32 copy of the weight, for its SVD only.
            let w = t.linear.weight.value
            let svd = try SVD.exact(w).truncated(to: min(settings.rank, w.rows, w.columns))
            let roots = svd.singularValues.map { ($0 / s).squareRoot() }
            let a = svd.vt.copy(), b = svd.u.copy()
            for (i, root) in roots.enumerated() {
                let row = a.pointer + i * a.columns
                for j in 0..<a.columns { row[j] *= root }
                for j in 0..<b.rows { b.pointer[j * b.columns + i] *= root }
            }
            let initialB = RankPadding.columns(b, to: settings.rank), initialA = RankPadding.rows(a, to: settings.rank)
            return PiSSAAdapter(b: initialB.copy(), a: initialA.copy(), initialB: initialB, initialA: initialA, scale: s)
        }
        return (adapters, nil)
    }

    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        let (b, a) = try LoRAMethod.restoredFactors(on: linear, settings: settings, factor: factor)
        return PiSSAAdapter(b: b, a: a, initialB: try factor("lora_B_init", b.shape),
                            initialA: try factor("lora_A_init", a.shape), scale: settings.scale)
    }

    /// The rank-2r conversion keeps the scale: `2·alpha / 2r`.
    public static func peftAlpha(_ settings: AdapterSettings) -> Double { 2 * settings.alpha }

    public static func peftConfigOverrides(_ settings: AdapterSettings) -> [String: Any] { ["r": 2 * settings.rank] }
}

extension PiSSAAdapter: Adapter {
    public var factors: [(name: String, parameter: Parameter)] {
        [("lora_B", trained.b), ("lora_A", trained.a), ("lora_B_init", initial.b), ("lora_A_init", initial.a)]
    }
    public var trainedFactorNames: [String] { ["lora_A", "lora_B"] }

    /// `W + s·(B A − B₀ A₀)`: the residual plus the trained factors.
    public func merged(into base: Tensor) -> Tensor {
        let w = adding(trained.b.value, trained.a.value, scale: scale, to: base)
        Gemm.multiply(initial.b.value, initial.a.value, alpha: -scale, beta: 1, into: w)
        return w
    }

    /// PEFT's `path_initial_model_for_weight_conversion`: `ΔW = B A − B₀ A₀ = [B, −B₀] · [A; A₀]`,
    /// a LoRA of rank 2r on the original weight.
    public func peftFactors() -> (a: Tensor, b: Tensor) {
        let a = trained.a.value, a0 = initial.a.value, b = trained.b.value, b0 = initial.b.value
        let stackedA = Tensor(zeros: [2 * a.rows, a.columns])
        stackedA.pointer.update(from: a.pointer, count: a.count)
        (stackedA.pointer + a.count).update(from: a0.pointer, count: a0.count)
        let r = b.columns
        let joinedB = Tensor(zeros: [b.rows, 2 * r])
        for i in 0..<b.rows {
            let row = joinedB.pointer + i * 2 * r
            for j in 0..<r {
                row[j] = b.pointer[i * r + j]
                row[r + j] = -b0.pointer[i * r + j]
            }
        }
        return (stackedA, joinedB)
    }
}
