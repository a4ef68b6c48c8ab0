import Models
import NN
import Tensor

extension AdapterMethod {
    public static let rsLoRA = AdapterMethod(declaring: "rslora")
}

/// rsLoRA (Kalajdzievski, 2023): LoRA with the rank-stabilised scale `alpha / √r` instead of
/// `alpha / r`, so the update's size does not shrink as the rank grows. Initialised as LoRA
/// (Kaiming-uniform `A`, `B = 0`); PEFT: `use_rslora = true`.
public enum RsLoRAMethod: FineTuningMethod {
    public static let method = AdapterMethod.rsLoRA
    public static let displayName = "rsLoRA"

    /// `alpha / √r`.
    public static func scale(_ settings: AdapterSettings) -> Float {
        Float(settings.alpha / Double(settings.rank).squareRoot())
    }

    public static func initialise(_ targets: [TargetableLinear], of model: TrainableModel, settings: AdapterSettings,
                                  context: InitializationContext) throws -> (adapters: [Adapter], report: InitializationReport?) {
        (LoRAMethod.initialFactors(targets, settings: settings).map { LoRAAdapter(b: $0.b, a: $0.a, scale: scale(settings)) }, nil)
    }

    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        let (b, a) = try LoRAMethod.restoredFactors(on: linear, settings: settings, factor: factor)
        return LoRAAdapter(b: b, a: a, scale: scale(settings))
    }

    /// The factors as they are, with their own alpha: PEFT's `use_rslora` gives the same scale.
    public static func peftAlpha(_ settings: AdapterSettings) -> Double { settings.alpha }

    public static func peftConfigOverrides(_ settings: AdapterSettings) -> [String: Any] { ["use_rslora": true] }
}
