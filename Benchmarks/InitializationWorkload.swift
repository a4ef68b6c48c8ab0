import Foundation
import LoRASB

/// The LoRA-SB initialisation on SmolLM2 through `AdapterFactory` (what `lorasb train` runs),
/// compared with the PyTorch reference: forward + backward over the first 50 samples (batches of
/// 4 × 256, every target weight's gradient summed), `ΔW = −η·sign(G)`, and a rank-32 randomized
/// SVD (10 power iterations, as the authors' `svd_lowrank(niter=10)`) of each of the 210 targets.
enum InitializationWorkload {
    /// `bf16` multiplies by bf16 copies of the weights (the targets' gradients included: the
    /// weights are held fixed while their gradients are summed).
    static func smolLM2(samples: Int = 50, rank: Int = 32, bf16: Bool = false) throws -> ComparisonResult {
        try decoder(Workbench.smolLM2, samples: samples, rank: rank, bf16: bf16)
    }

    /// The same on any decoder GGUF; `thenSteps` training steps of 4 × 256 follow (the
    /// real-size job `job-qwen15`: its peak memory is the initialisation's plus training's);
    /// `initMemoryBudget` bytes bound the summed gradients (`--init-memory`).
    static func decoder(_ file: URL, samples: Int = 50, rank: Int = 32, bf16: Bool = false,
                        thenSteps: Int = 0, initMemoryBudget: Int? = nil) throws -> ComparisonResult {
        let model = try LlamaModel(contentsOf: file)
        if bf16 { try model.use(.bf16) }
        let (b, t) = (4, 256)
        let all = Workbench.ids(samples * t, range: model.config.vocabSize)
        let batches = try stride(from: 0, to: samples, by: b).map { first -> TrainingBatch in
            let rows = min(b, samples - first)
            let ids = Array(all[(first * t)..<((first + rows) * t)])
            return TrainingBatch(tokens: try TokenBatch(batchSize: rows, length: t, ids: ids, labels: ids))
        }
        let settings = AdapterSettings(method: .loraSB, rank: rank,
                                       targets: TrainingStepWorkloads.smolLM2Targets.sorted(),
                                       initSamples: samples, svdIterations: 10, initMemoryBudget: initMemoryBudget)
        let start = DispatchTime.now().uptimeNanoseconds
        let (_, report) = try AdapterFactory.attach(settings, to: model, gradientBatches: batches,
                                                    effectiveLearningRate: 1e-4)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let c = model.config
        let forward = Workbench.forwardFlops(linearWeights: Workbench.linearWeights(model), layers: c.layerCount,
                                             attentionWidth: c.headCount * c.headDim, tokens: samples * t, length: t)
        let targetWeights = model.targetableLayers(named: TrainingStepWorkloads.smolLM2Targets)
            .reduce(0) { $0 + $1.linear.inFeatures * $1.linear.outFeatures }
        // Forward, input gradients, and the weight gradients of the targets.
        let flops = 2 * forward + 2 * Double(targetWeights) * Double(samples * t)
        var values = ["seconds": seconds, "gradient_seconds": report?.gradientSeconds ?? .nan,
                      "svd_seconds": report?.svdSeconds ?? .nan, "samples_per_second": Double(samples) / seconds, "flops": flops]
        if thenSteps > 0 {
            // As the reference: one fixed batch, AdamW on the R of every target.
            let batch = try Workbench.languageModelBatch(model, batch: b, length: t)
            let parameters = Workbench.trainables(model)
            let adam = try Workbench.optimizer(parameters)
            let started = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<thenSteps {
                for p in parameters { p.zeroGradient() }
                _ = try model.lossAndGradients(batch)
                adam.step(learningRate: 1e-4)
            }
            let step = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 / Double(thenSteps)
            values["step_seconds"] = step
            values["tokens_per_second"] = Double(b * t) / step
        }
        return ComparisonResult(values: values)
    }
}
