import Models
import NN
import Tensor

extension AdapterMethod {
    public static let full = AdapterMethod(declaring: "full")
}

/// Full fine-tuning: every parameter of the model trains; no adapter is added. The reference
/// the low-rank methods approximate.
public enum FullFineTuningMethod: FineTuningMethod {
    public static let method = AdapterMethod.full
    public static let displayName = "Full FT"
    public static let addsAdapters = false

    public static func initialise(_ targets: [TargetableLinear], of model: TrainableModel, settings: AdapterSettings,
                                  context: InitializationContext) throws -> (adapters: [Adapter], report: InitializationReport?) {
        ([], nil)
    }

    public static func restore(on linear: Linear, settings: AdapterSettings,
                               factor: (String, [Int]) throws -> Tensor) throws -> Adapter {
        throw AdapterError.invalidSetting("full fine-tuning has no adapter to restore")
    }

    public static func markTrainable(_ entries: [AdapterSet.Entry],
                                     of model: TrainableModel) -> [(name: String, parameter: Parameter)] {
        model.namedParameters.map { name, p in
            p.isTrainable = true
            return (name, p)
        }
    }
}
