import Models
import NN
import Tensor

extension AdapterMethod {
    public static let loraSB = AdapterMethod(declaring: "lora-sb")
}

/// LoRA-SB (Ponkshe et al., 2025, "Initialization using Update Approximation is a Silver Bullet
/// for Extremely Efficient Low-Rank Fine-Tuning"): the LoRA-XS shape `W + B R A` with only `R`
/// (r×r) trained, initialised from the truncated SVD of an approximation of the first full
/// fine-tuning step (`LoRASBInitializer`).
public enum LoRASBMethod: FineTuningMethod {
    public static let method = AdapterMethod.loraSB
    public static let displayName = "LoRA-SB"

    public static func initialise(_ targets: [TargetableLinear], of model: TrainableModel, settings: AdapterSettings,
                                  context: InitializationContext) throws -> (adapters: [Adapter], report: InitializationReport?) {
        let (adapters, report) = try LoRASBInitializer(settings: settings).initialise(targets, of: model, context: context)
        return (adapters, report)
    }

    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        try LoRAXSMethod.restore(on: linear, settings: settings, factor: factor)
    }
}
