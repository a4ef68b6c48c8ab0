import Foundation
import Models
import NN
import Tensor

/// Attaches freshly initialised adapters of any method to a model.
public enum AdapterFactory {
    /// Freezes the model, attaches the adapters `settings` describes to its targets and marks
    /// what trains. LoRA-SB needs `gradientBatches` (its first `initSamples` training samples)
    /// and `effectiveLearningRate`; the other methods ignore them.
    public static func attach(_ settings: AdapterSettings, to model: TrainableModel,
                              gradientBatches: [TrainingBatch] = [],
                              effectiveLearningRate: Double = 0) throws
        -> (adapters: AdapterSet, report: InitializationReport?)
    {
        try settings.validate()
        model.freezeAllParameters()
        var entries: [AdapterSet.Entry] = []
        var report: InitializationReport?
        switch settings.method {
        case .full:
            let targets = settings.targets.isEmpty ? [] : try resolveTargets(model, settings.targets)
            entries = targets.map { AdapterSet.Entry(target: $0, adapter: nil) }
        case .lora:
            let targets = try resolveTargets(model, settings.targets)
            var generator = SeededGenerator(seed: settings.seed)
            for t in targets {
                let adapter = loraAdapter(for: t.linear, settings, &generator)
                t.linear.adapter = adapter
                entries.append(AdapterSet.Entry(target: t, adapter: adapter))
            }
        case .loraXS:
            let targets = try resolveTargets(model, settings.targets)
            var generator = SeededGenerator(seed: settings.seed)
            for t in targets {
                let adapter = try loraXSAdapter(for: t.linear, settings, &generator)
                t.linear.adapter = adapter
                entries.append(AdapterSet.Entry(target: t, adapter: adapter))
            }
        case .loraSB:
            let targets = try resolveTargets(model, settings.targets)
            let initializer = LoRASBInitializer(settings: settings,
                                                effectiveLearningRate: effectiveLearningRate)
            let result = try initializer.attach(to: model, targets: targets, batches: gradientBatches)
            entries = result.entries
            report = result.report
        }
        let trainable = markTrainable(settings.method, entries: entries, model: model)
        return (AdapterSet(settings: settings, entries: entries, trainableParameters: trainable), report)
    }

    /// Sets `isTrainable` on exactly what the method trains and names it.
    static func markTrainable(_ method: AdapterMethod, entries: [AdapterSet.Entry],
                              model: TrainableModel) -> [(name: String, parameter: Parameter)] {
        var named: [(String, Parameter)] = []
        if method == .full {
            for (name, p) in model.namedParameters {
                p.isTrainable = true
                named.append((name, p))
            }
            return named
        }
        for e in entries {
            switch e.adapter {
            case let xs as LoRAXSAdapter:
                xs.b.isTrainable = false
                xs.a.isTrainable = false
                xs.r.isTrainable = true
                named.append(("\(e.target.modulePath).lora_R", xs.r))
            case let lora as LoRAAdapter:
                lora.a.isTrainable = true
                lora.b.isTrainable = true
                named += [("\(e.target.modulePath).lora_A", lora.a), ("\(e.target.modulePath).lora_B", lora.b)]
            default:
                break
            }
        }
        for (name, p) in model.alwaysTrainedParameters {
            p.isTrainable = true
            named.append((name, p))
        }
        return named
    }

    /// LoRA: `A` Kaiming-uniform (PyTorch's `kaiming_uniform_(a=√5)`, as PEFT), `B = 0`,
    /// scale alpha/r, both trained.
    static func loraAdapter(for linear: Linear, _ s: AdapterSettings,
                            _ generator: inout SeededGenerator) -> LoRAAdapter {
        let a = Tensor(zeros: [s.rank, linear.inFeatures])
        generator.kaimingUniform(a, fanIn: linear.inFeatures)
        let b = Tensor(zeros: [linear.outFeatures, s.rank])
        return LoRAAdapter(b: b, a: a, scale: s.scale)
    }

    /// LoRA-XS: from the SVD of the pretrained `W = U Σ Vᵀ`: `B = U_r`, `A = Σ_r V_rᵀ`
    /// (singular values folded into A), `R` normal with std 1e-5 (the LoRA-XS authors' choice).
    static func loraXSAdapter(for linear: Linear, _ s: AdapterSettings,
                              _ generator: inout SeededGenerator) throws -> LoRAXSAdapter {
        let w = linear.weight.value
        let k = min(s.rank, w.rows, w.columns)
        let svd = try SVD.exact(w).truncated(to: k)
        let a = svd.vt.copy()
        for i in 0..<k {
            let row = a.pointer + i * a.columns
            for j in 0..<a.columns { row[j] *= svd.singularValues[i] }
        }
        let r = Tensor(zeros: [s.rank, s.rank])
        generator.fillNormal(r, mean: 0, standardDeviation: 1e-5)
        return LoRAXSAdapter(b: LoRASBInitializer.padColumns(svd.u, to: s.rank), r: r,
                             a: LoRASBInitializer.padRows(a, to: s.rank), scale: s.scale)
    }
}
