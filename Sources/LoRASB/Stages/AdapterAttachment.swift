import Adapters
import Distributed
import Foundation
import Training

/// A run's adapters on its model: loaded from a checkpoint when the run resumes, else attached
/// and initialised (LoRA-SB: from the estimated first full-fine-tuning step), with the messages
/// that report it and the manifest saved with every checkpoint.
struct AdapterAttachment {
    let adapters: AdapterSet
    let report: InitializationReport?
    /// The checkpoint the trainer restores, when resuming.
    let checkpoint: URL?
    let manifest: AdapterManifest

    init(_ request: FineTuneRequest, model: LoadedModel, train: [TokenizedExample], plan: TrainingPlan,
         layout: ClassificationLayout?, communicator: any Communicator = SingleProcess(), say: (String) -> Void) throws {
        let r = request
        if let resume = r.resume {
            let folder = try TrainingCheckpoint.locate(resume)
            (adapters, _) = try AdapterFolder.load(folder, onto: model.network, identity: model.identity)
            checkpoint = folder
            report = nil
            say("resuming from \(folder.path)")
        } else {
            let pad = model.padTokenID
            let batchSize = plan.trainer.batchSize
            let context = InitializationContext(
                samples: .training(count: train.count) { indices in
                    try BatchLoader.evaluationBatches(indices.map { train[$0] }, batchSize: batchSize,
                                                      padTokenID: pad).map(TrainingBatch.init)
                },
                learningRate: r.initLearningRate, schedule: plan.schedule, communicator: communicator)
            (adapters, report) = try AdapterFactory.attach(r.adapter, to: model.network, context: context)
            checkpoint = nil
            if let report {
                let passes = report.passes > 1 ? " in \(report.passes) passes within the memory budget" : ""
                let eta = report.effectiveLearningRate.map { ", η_eff = \(String(format: "%.3g", $0))" } ?? ""
                say("\(r.adapter.method.displayName) initialisation: gradients of \(report.samples) samples\(passes)\(eta)")
                say(String(format: "initialised %d targets in %.1f s (gradients %.1f s, SVD %.1f s); energy kept on average: %.1f%%",
                           report.energyKept.count, report.gradientSeconds + report.svdSeconds,
                           report.gradientSeconds, report.svdSeconds, 100 * report.meanEnergyKept) + " (\(report.decomposed))")
            }
        }
        // Attaching may have made weights trainable (full fine-tuning): those compute in fp32.
        try model.network.use(r.precision)
        let total = model.parameterCount
        let trainable = adapters.trainableParameterCount
        say("trainable params: \(trainable.formatted()) || all params: \(total.formatted()) || trainable%: \(String(format: "%.4f", 100 * Double(trainable) / Double(total)))")
        var manifest = AdapterManifest(settings: r.adapter, modules: adapters.entries.map(\.target.modulePath),
                                       baseModel: model.identity, task: model.task.rawValue,
                                       labels: layout?.labels, trainableParameters: trainable,
                                       effectiveLearningRate: report?.effectiveLearningRate, training: r.commandLine)
        manifest.problemType = layout?.problemType
        self.manifest = manifest
    }
}
