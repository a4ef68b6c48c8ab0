import Foundation
import Models
import NN
import Tensor

/// Attaches freshly initialised adapters of any method to a model.
public enum AdapterFactory {
    /// Freezes the model, lets the method of `settings` initialise adapters for its targets,
    /// attaches them and marks what trains. `context` carries the training data and schedule
    /// for the methods that initialise from gradients (LoRA-SB).
    public static func attach(_ settings: AdapterSettings, to model: TrainableModel,
                              context: InitializationContext) throws
        -> (adapters: AdapterSet, report: InitializationReport?)
    {
        try settings.validate()
        model.freezeAllParameters()
        let method = settings.method.implementation
        // Full fine-tuning may name no targets: it trains every weight anyway.
        let targets = method.addsAdapters || !settings.targets.isEmpty ? try resolveTargets(model, settings.targets) : []
        let (adapters, report) = try method.initialise(targets, of: model, settings: settings, context: context)
        let entries: [AdapterSet.Entry]
        if method.addsAdapters {
            precondition(adapters.count == targets.count, "\(settings.method) made \(adapters.count) adapters for \(targets.count) targets")
            for (t, a) in zip(targets, adapters) { t.linear.adapter = a }
            entries = zip(targets, adapters).map { AdapterSet.Entry(target: $0, adapter: $1) }
        } else {
            entries = targets.map { AdapterSet.Entry(target: $0, adapter: nil) }
        }
        let trainable = method.markTrainable(entries, of: model)
        return (AdapterSet(settings: settings, entries: entries, trainableParameters: trainable), report)
    }

    /// `attach` with gradient-estimation batches chosen by the caller and η_eff given.
    public static func attach(_ settings: AdapterSettings, to model: TrainableModel,
                              gradientBatches: [TrainingBatch] = [], effectiveLearningRate: Double = 0) throws
        -> (adapters: AdapterSet, report: InitializationReport?)
    {
        try attach(settings, to: model, context: InitializationContext(
            samples: .batches(gradientBatches), learningRate: .fixed(effectiveLearningRate), schedule: nil))
    }
}
