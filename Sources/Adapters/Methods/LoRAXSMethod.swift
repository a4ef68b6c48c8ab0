import Models
import NN
import Tensor

extension AdapterMethod {
    public static let loraXS = AdapterMethod(declaring: "lora-xs")
}

/// LoRA-XS (Bałazy et al., 2024): `W + s·B R A` with only `R` (r×r) trained. `B`, `A` from the
/// SVD of the pretrained `W = U Σ Vᵀ`: `B = U_r`, `A = Σ_r V_rᵀ` (singular values folded into
/// A), `R` normal with std 1e-5 (the LoRA-XS authors' choice).
public enum LoRAXSMethod: FineTuningMethod {
    public static let method = AdapterMethod.loraXS
    public static let displayName = "LoRA-XS"

    public static func initialise(_ targets: [TargetableLinear], of model: TrainableModel, settings: AdapterSettings,
                                  context: InitializationContext) throws -> (adapters: [Adapter], report: InitializationReport?) {
        var generator = SeededGenerator(seed: settings.seed)
        let adapters: [Adapter] = try targets.map { t in
            let w = t.linear.weight.value
            let k = min(settings.rank, w.rows, w.columns)
            let svd = try SVD.exact(w).truncated(to: k)
            let a = svd.vt.copy()
            for i in 0..<k {
                let row = a.pointer + i * a.columns
                for j in 0..<a.columns { row[j] *= svd.singularValues[i] }
            }
            let r = Tensor(zeros: [settings.rank, settings.rank])
            generator.fillNormal(r, mean: 0, standardDeviation: 1e-5)
            return LoRAXSAdapter(b: RankPadding.columns(svd.u, to: settings.rank), r: r,
                                 a: RankPadding.rows(a, to: settings.rank), scale: settings.scale)
        }
        return (adapters, nil)
    }

    /// LoRA-SB saves the same three factors.
    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        let r = settings.rank
        return LoRAXSAdapter(b: try factor("lora_B", [linear.outFeatures, r]), r: try factor("lora_R", [r, r]),
                             a: try factor("lora_A", [r, linear.inFeatures]), scale: settings.scale)
    }
}

extension LoRAXSAdapter: Adapter {
    public var factors: [(name: String, parameter: Parameter)] { [("lora_B", b), ("lora_R", r), ("lora_A", a)] }
    /// Only R: that is what makes LoRA-XS and LoRA-SB train r² values per layer.
    public var trainedFactorNames: [String] { ["lora_R"] }

    public func merged(into base: Tensor) -> Tensor {
        adding(b.value, Gemm.product(r.value, a.value), scale: scale, to: base)
    }

    /// Exactly plain LoRA: `s·B R A = B · (s·R A)`, so `lora_A = s·R·A`, `lora_B = B` and
    /// `lora_alpha = r` (PEFT's scale 1, the default `peftAlpha`).
    public func peftFactors() -> (a: Tensor, b: Tensor) {
        let ra = Gemm.product(r.value, a.value)
        if scale != 1 { Elementwise.scale(ra, by: scale, into: ra) }
        return (ra, b.value)
    }
}
