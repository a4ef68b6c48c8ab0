import Models
import NN
import Tensor

extension AdapterMethod {
    public static let dora = AdapterMethod(declaring: "dora")
}

/// DoRA (Liu et al., 2024, "Weight-Decomposed Low-Rank Adaptation"): the weight split into a
/// trained magnitude per output and a direction `W + s·B A` normalised per output
/// (`DoRAAdapter`). `B`, `A` start as LoRA's (Kaiming-uniform `A`, `B = 0`) and the magnitude at
/// `‖W + s·B A‖ = ‖W‖`, as PEFT's `use_dora = true` does, so training starts from the base model.
public enum DoRAMethod: FineTuningMethod {
    public static let method = AdapterMethod.dora
    public static let displayName = "DoRA"

    public static func initialise(_ targets: [TargetableLinear], of model: TrainableModel, settings: AdapterSettings,
                                  context: InitializationContext) throws -> (adapters: [Adapter], report: InitializationReport?) {
        let factors = LoRAMethod.initialFactors(targets, settings: settings)
        let adapters: [Adapter] = zip(targets, factors).map { t, f in
            let norm = DoRAAdapter.rowNorms(of: t.linear.weight.matrix, plus: f.b, f.a, scale: settings.scale)
            return DoRAAdapter(b: f.b, a: f.a, magnitude: Tensor(shape: [norm.count], values: norm),
                               scale: settings.scale, weight: t.linear.weight, bias: t.linear.bias)
        }
        return (adapters, nil)
    }

    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        let (b, a) = try LoRAMethod.restoredFactors(on: linear, settings: settings, factor: factor)
        return DoRAAdapter(b: b, a: a, magnitude: try factor("lora_magnitude_vector", [linear.outFeatures]),
                           scale: settings.scale, weight: linear.weight, bias: linear.bias)
    }

    /// The factors as they are, with their own alpha.
    public static func peftAlpha(_ settings: AdapterSettings) -> Double { settings.alpha }

    public static func peftConfigOverrides(_ settings: AdapterSettings) -> [String: Any] { ["use_dora": true] }
}

extension DoRAAdapter: Adapter {
    /// The magnitude under PEFT's name.
    public var factors: [(name: String, parameter: Parameter)] {
        [("lora_B", b), ("lora_A", a), ("lora_magnitude_vector", magnitude)]
    }
    public var trainedFactorNames: [String] { ["lora_A", "lora_B", "lora_magnitude_vector"] }

    /// `diag(m / ‖W + s·B A‖) (W + s·B A)`, as PEFT merges it.
    public func merged(into base: Tensor) -> Tensor {
        let w = adding(b.value, a.value, scale: scale, to: base)
        let norm = DoRAAdapter.rowNorms(of: DenseMatrix(base), plus: b.value, a.value, scale: scale)
        let m = magnitude.value.pointer
        for i in 0..<w.rows {
            let factor = m[i] / norm[i], row = w.pointer + i * w.columns
            for j in 0..<w.columns { row[j] *= factor }
        }
        return w
    }

    public func peftFactors() -> (a: Tensor, b: Tensor) { (a.value, b.value) }

    public func peftAdditionalTensors() -> [(name: String, tensor: Tensor)] {
        [("lora_magnitude_vector", magnitude.value)]
    }
}
