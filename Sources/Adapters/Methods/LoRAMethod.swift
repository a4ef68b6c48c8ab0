import Models
import NN
import Tensor

extension AdapterMethod {
    public static let lora = AdapterMethod(declaring: "lora")
}

/// LoRA (Hu et al., 2021): `W + (alpha/r) B A`, both factors trained. `A` is Kaiming-uniform
/// (PyTorch's `kaiming_uniform_(a=√5)`, as PEFT), `B = 0`.
public enum LoRAMethod: FineTuningMethod {
    public static let method = AdapterMethod.lora
    public static let displayName = "LoRA"

    public static func initialise(_ targets: [TargetableLinear], of model: TrainableModel, settings: AdapterSettings,
                                  context: InitializationContext) throws -> (adapters: [Adapter], report: InitializationReport?) {
        (freshAdapters(targets, settings: settings), nil)
    }

    /// Kaiming-uniform `A`, zero `B` for every target, one random stream in target order
    /// (LoRA-Pro starts from the same).
    static func freshAdapters(_ targets: [TargetableLinear], settings: AdapterSettings) -> [LoRAAdapter] {
        var generator = SeededGenerator(seed: settings.seed)
        return targets.map { t in
            let a = Tensor(zeros: [settings.rank, t.linear.inFeatures])
            generator.kaimingUniform(a, fanIn: t.linear.inFeatures)
            let b = Tensor(zeros: [t.linear.outFeatures, settings.rank])
            return LoRAAdapter(b: b, a: a, scale: settings.scale)
        }
    }

    /// The factors are written as they are, with their own alpha.
    public static func peftAlpha(_ settings: AdapterSettings) -> Double { settings.alpha }

    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        try restoreLoRA(on: linear, settings: settings, factor: factor)
    }

    /// `lora_B`, `lora_A` from a file: plain LoRA's factors (also LoRA-Pro's).
    static func restoreLoRA(on linear: Linear, settings: AdapterSettings,
                            factor: (String, [Int]) throws -> Tensor) throws -> LoRAAdapter {
        let r = settings.rank
        return LoRAAdapter(b: try factor("lora_B", [linear.outFeatures, r]),
                           a: try factor("lora_A", [r, linear.inFeatures]), scale: settings.scale)
    }
}

extension LoRAAdapter: Adapter {
    public var factors: [(name: String, parameter: Parameter)] { [("lora_B", b), ("lora_A", a)] }
    public var trainedFactorNames: [String] { ["lora_A", "lora_B"] }

    public func merged(into base: Tensor) -> Tensor { adding(b.value, a.value, scale: scale, to: base) }

    /// As it is, with its own alpha (the scale is alpha / r).
    public func peftFactors() -> (a: Tensor, b: Tensor) { (a.value, b.value) }
}
