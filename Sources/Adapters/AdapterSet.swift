import Foundation
import Models
import NN
import Tensor

/// The adapters attached to one model, target by target, and the parameters training updates.
public final class AdapterSet {
    public struct Entry {
        public let target: TargetableLinear
        /// nil for full fine-tuning, where the layer's own weight trains.
        public let adapter: Adapter?
    }

    public let settings: AdapterSettings
    public let entries: [Entry]
    /// Every trainable parameter under a stable name (adapter factors under
    /// `<module path>.lora_R` etc., model parameters under their checkpoint names).
    public let trainableParameters: [(name: String, parameter: Parameter)]

    init(settings: AdapterSettings, entries: [Entry],
         trainableParameters: [(name: String, parameter: Parameter)]) {
        self.settings = settings
        self.entries = entries
        self.trainableParameters = trainableParameters
    }

    /// The number of trained values, as PEFT's `print_trainable_parameters` counts them.
    public var trainableParameterCount: Int {
        trainableParameters.reduce(0) { $0 + $1.parameter.value.count }
    }

    /// The named factors of every adapter (for saving), including frozen ones.
    public var adapterTensors: [(name: String, tensor: Tensor)] {
        entries.flatMap { e in
            (e.adapter?.factors ?? []).map { ("\(e.target.modulePath).\($0.name)", $0.parameter.value) }
        }
    }

    /// Trained model parameters that are not adapter factors (a classification head; every
    /// parameter for full fine-tuning), under their checkpoint names.
    public var trainedModelParameters: [(name: String, parameter: Parameter)] {
        trainableParameters.filter { !AdapterSet.isFactorName($0.name) }
    }

    /// Whether a saved tensor's name is an adapter factor's (`<module>.lora_*`).
    static func isFactorName(_ name: String) -> Bool { name.contains(".lora_") }

    /// Lets every adapter adjust its gradients before the optimizer step (LoRA-Pro).
    public func adjustGradients() {
        for e in entries { e.adapter?.adjustGradients() }
    }

    /// Removes every adapter from its layer (the model is back to its base weights).
    public func detach() {
        for e in entries { e.target.linear.adapter = nil }
    }
}

/// The targets of `model` named in `settings.targets`, or an error listing what exists.
func resolveTargets(_ model: AdaptableModel, _ names: [String]) throws -> [TargetableLinear] {
    let all = model.targetableLayers
    let wanted = Set(names.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    let unknown = wanted.subtracting(all.map(\.shortName))
    let available = orderedUnique(all.map(\.shortName))
    guard unknown.isEmpty else {
        throw AdapterError.noTargets(requested: unknown.sorted(), available: available)
    }
    let chosen = all.filter { wanted.contains($0.shortName) }
    guard !chosen.isEmpty else { throw AdapterError.noTargets(requested: names, available: available) }
    return chosen
}

func orderedUnique(_ xs: [String]) -> [String] {
    var seen = Set<String>()
    return xs.filter { seen.insert($0).inserted }
}
