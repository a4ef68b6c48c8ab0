import Models
import NN
import Tensor

/// One fine-tuning method: its name, how it initialises adapters for a model's targets, how it
/// rebuilds them from an adapter file and what it trains. Each method is one file under
/// `Methods/` and one line in `AdapterRegistry`; `AdapterFactory` and `AdapterFolder` only
/// call these members.
public protocol FineTuningMethod {
    static var method: AdapterMethod { get }
    /// The name tables and plots show (`LoRA-SB`).
    static var displayName: String { get }
    /// Whether the method adds adapters beside frozen weights (full fine-tuning trains the
    /// weights themselves and adds none).
    static var addsAdapters: Bool { get }
    /// Fresh adapters for `targets` (in their order), not yet attached: the model's layers
    /// are unchanged unless the method rewrites a base weight, which it
    /// does by assigning a new tensor. `context` carries the training data and schedule for
    /// the methods that initialise from gradients.
    static func initialise(_ targets: [TargetableLinear], of model: TrainableModel, settings: AdapterSettings,
                           context: InitializationContext) throws -> (adapters: [Adapter], report: InitializationReport?)
    /// The adapter of `linear` from a saved file, its factors read by `factor(name, shape)`.
    static func restore(on linear: Linear, settings: AdapterSettings,
                        factor: (_ name: String, _ shape: [Int]) throws -> Tensor) throws -> Adapter
    /// PEFT's `lora_alpha` for the factors `Adapter.peftFactors` writes: by default r (scale 1).
    static func peftAlpha(_ settings: AdapterSettings) -> Double
    /// Entries of PEFT's `adapter_config.json` the method sets over the plain-LoRA ones
    /// (`use_rslora`, `use_dora`, a different `r`); none by default.
    static func peftConfigOverrides(_ settings: AdapterSettings) -> [String: Any]
    /// Marks trainable exactly what the method trains and names it: by default every
    /// adapter's trained factors, then the parameters that always train (a classifier head).
    static func markTrainable(_ entries: [AdapterSet.Entry], of model: TrainableModel) -> [(name: String, parameter: Parameter)]
}

extension FineTuningMethod {
    public static var addsAdapters: Bool { true }

    public static func peftAlpha(_ settings: AdapterSettings) -> Double { Double(settings.rank) }

    public static func peftConfigOverrides(_ settings: AdapterSettings) -> [String: Any] { [:] }

    public static func markTrainable(_ entries: [AdapterSet.Entry],
                                     of model: TrainableModel) -> [(name: String, parameter: Parameter)] {
        var named = entries.flatMap { e in e.adapter?.markTrainable(modulePath: e.target.modulePath) ?? [] }
        for (name, p) in model.alwaysTrainedParameters {
            p.isTrainable = true
            named.append((name, p))
        }
        return named
    }
}
