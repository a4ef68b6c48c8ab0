import Foundation
import LoRASB

/// The LoRA-SB initialisation on SmolLM2, compared with the PyTorch reference: forward +
/// backward over the first 50 samples (batches of 4 × 256, every target weight's gradient
/// summed), `ΔW = −η·sign(G)`, and a rank-32 randomized SVD (10 power iterations, as the
/// authors' `svd_lowrank(niter=10)`) of every one of the 210 targets, which become adapters.
enum InitializationWorkload {
    static func smolLM2(samples: Int = 50, rank: Int = 32) throws -> ComparisonResult {
        let model = try LlamaModel(contentsOf: Workbench.smolLM2)
        model.freezeAllParameters()
        let targets = model.targetableLayers(named: TrainingStepWorkloads.smolLM2Targets)
        let (b, t) = (4, 256)
        let all = Workbench.ids(samples * t, range: model.config.vocabSize)
        let start = DispatchTime.now().uptimeNanoseconds
        for target in targets { target.linear.weight.isTrainable = true }
        var tokens = 0
        for first in stride(from: 0, to: samples, by: b) {
            let rows = min(b, samples - first)
            let ids = Array(all[(first * t)..<((first + rows) * t)])
            _ = try model.lossAndGradients(try TokenBatch(batchSize: rows, length: t, ids: ids, labels: ids))
            tokens += rows * t
        }
        let gradientSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var generator = SeededGenerator(seed: 11)
        let eta: Float = 1e-4
        for target in targets {
            let weight = target.linear.weight
            guard let g = weight.gradient else { continue }
            let update = Tensor(zeros: g.shape)
            for i in 0..<g.count { update.pointer[i] = g.pointer[i] > 0 ? -eta : (g.pointer[i] < 0 ? eta : 0) }
            weight.isTrainable = false   // frees the gradient
            let svd = try SVD.randomized(update, rank: rank, powerIterations: 10, generator: &generator)
            let r = Tensor(zeros: [rank, rank])
            for i in 0..<rank { r.pointer[i * rank + i] = svd.singularValues[i] }
            target.linear.adapter = LoRAXSAdapter(b: svd.u, r: r, a: svd.vt)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let c = model.config
        let forward = Workbench.forwardFlops(linearWeights: Workbench.linearWeights(model), layers: c.layerCount,
                                             attentionWidth: c.headCount * c.headDim, tokens: tokens, length: t)
        let targetWeights = targets.reduce(0) { $0 + $1.linear.inFeatures * $1.linear.outFeatures }
        // Forward, input gradients, and the weight gradients of the targets.
        let flops = 2 * forward + 2 * Double(targetWeights) * Double(tokens)
        return ComparisonResult(values: ["seconds": seconds, "gradient_seconds": gradientSeconds,
                                         "svd_seconds": seconds - gradientSeconds,
                                         "samples_per_second": Double(samples) / seconds, "flops": flops])
    }
}
