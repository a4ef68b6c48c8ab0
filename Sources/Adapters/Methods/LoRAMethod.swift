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
        (initialFactors(targets, settings: settings).map { LoRAAdapter(b: $0.b, a: $0.a, scale: settings.scale) }, nil)
    }

    /// PEFT's LoRA start for each target, in order: `A` Kaiming-uniform from one generator
    /// seeded with `settings.seed`, `B = 0` (rsLoRA and DoRA start the same way).
    static func initialFactors(_ targets: [TargetableLinear], settings: AdapterSettings) -> [(b: Tensor, a: Tensor)] {
        var generator = SeededGenerator(seed: settings.seed)
        return targets.map { t in
            let a = Tensor(zeros: [settings.rank, t.linear.inFeatures])
            generator.kaimingUniform(a, fanIn: t.linear.inFeatures)
            return (Tensor(zeros: [t.linear.outFeatures, settings.rank]), a)
        }
    }

    /// The saved `lora_B` `[out, r]` and `lora_A` `[r, in]` of `linear`.
    static func restoredFactors(on linear: Linear, settings: AdapterSettings,
                                factor: (String, [Int]) throws -> Tensor) throws -> (b: Tensor, a: Tensor) {
        let r = settings.rank
        return (try factor("lora_B", [linear.outFeatures, r]), try factor("lora_A", [r, linear.inFeatures]))
    }

    /// The factors are written as they are, with their own alpha.
    public static func peftAlpha(_ settings: AdapterSettings) -> Double { settings.alpha }

    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        let (b, a) = try restoredFactors(on: linear, settings: settings, factor: factor)
        return LoRAAdapter(b: b, a: a, scale: settings.scale)
    }
}

extension LoRAAdapter: Adapter {
    public var factors: [(name: String, parameter: Parameter)] { [("lora_B", b), ("lora_A", a)] }
    public var trainedFactorNames: [String] { ["lora_A", "lora_B"] }

    public func merged(into base: Tensor) -> Tensor { adding(b.value, a.value, scale: scale, to: base) }

    /// As it is, with its own alpha (the scale is alpha / r).
    public func peftFactors() -> (a: Tensor, b: Tensor) { (a.value, b.value) }
}
