import Foundation
import LoRASB

/// Training steps compared with the PyTorch reference: forward + loss + backward + AdamW.
enum TrainingStepWorkloads {
    static let smolLM2Targets: Set<String> = ["q", "k", "v", "o", "gate", "up", "down"]
    /// The paper's BERT targets (query, value, attention output, FFN output); the head trains.
    static let miniLMTargets: Set<String> = ["query", "value", "attn_out", "ffn_out"]

    enum SmolLM2Method { case loraSB, lora, full }

    /// SmolLM2 at batch 4 × 256: LoRA-SB r = 32, LoRA r = 8, or every weight trained;
    /// `bf16` multiplies the frozen weights in bf16; `checkpointing` recomputes each block's
    /// forward in backward.
    static func smolLM2(_ method: SmolLM2Method, repetitions: Int = 2, bf16: Bool = false,
                        checkpointing: Bool = false) throws -> ComparisonResult {
        try decoder(Workbench.smolLM2, method, repetitions: repetitions, bf16: bf16, checkpointing: checkpointing)
    }

    /// The same step on any decoder GGUF (the real-size Qwen2.5 files: `step-qwen05`).
    static func decoder(_ file: URL, _ method: SmolLM2Method, repetitions: Int = 2, bf16: Bool = false,
                        checkpointing: Bool = false) throws -> ComparisonResult {
        let model = try LlamaModel(contentsOf: file)
        model.gradientCheckpointing = checkpointing
        model.freezeAllParameters()
        let targets = model.targetableLayers(named: smolLM2Targets)
        switch method {
        case .loraSB: Workbench.attachLoRASB(targets, rank: 32)
        case .lora: Workbench.attachLoRA(targets, rank: 8)
        case .full: for (_, p) in model.namedParameters { p.isTrainable = true }
        }
        if bf16 { try model.use(.bf16) }
        let (b, t) = (4, 256)
        let batch = try Workbench.languageModelBatch(model, batch: b, length: t)
        let parameters = Workbench.trainables(model)
        let adam = try Workbench.optimizer(parameters)
        let seconds = try Workbench.medianSeconds(repetitions: repetitions) {
            for p in parameters { p.zeroGradient() }
            _ = try model.lossAndGradients(batch)
            adam.step(learningRate: 1e-4)
        }
        let c = model.config
        let forward = Workbench.forwardFlops(linearWeights: Workbench.linearWeights(model), layers: c.layerCount,
                                             attentionWidth: c.headCount * c.headDim, tokens: b * t, length: t)
        // Backward: input gradients cost what the forward did; trained weights add as much again
        // (the vocabulary head is the tied embedding: with full training its weight trains too).
        let flops = method == .full ? 3 * forward : 2 * forward
        return ComparisonResult(values: ["seconds": seconds, "tokens_per_second": Double(b * t) / seconds,
                                         "flops": flops, "trainable_parameters": Double(parameters.reduce(0) { $0 + $1.value.count })])
    }

    /// MiniLM sequence classification at batch 32 × 128, LoRA-SB r = 24 on the paper's targets,
    /// classifier head trained.
    static func miniLM(repetitions: Int = 3, bf16: Bool = false) throws -> ComparisonResult {
        let model = try BertSequenceClassifier(contentsOf: Workbench.miniLM, labelCount: 2, seed: 3)
        model.freezeAllParameters()
        for (_, p) in model.headParameters { p.isTrainable = true }
        Workbench.attachLoRASB(model.targetableLayers(named: miniLMTargets), rank: 24)
        if bf16 { try model.use(.bf16) }
        let (b, t) = (32, 128)
        let ids = Workbench.ids(b * t, range: 19_000, offset: 1000)
        let batch = try TokenBatch(batchSize: b, length: t, ids: ids)
        let targets = SequenceTargets.classes((0..<b).map { $0 % 2 })
        let parameters = Workbench.trainables(model)
        let adam = try Workbench.optimizer(parameters)
        let seconds = try Workbench.medianSeconds(repetitions: repetitions) {
            for p in parameters { p.zeroGradient() }
            _ = try model.lossAndGradients(batch, targets: targets)
            adam.step(learningRate: 1e-4)
        }
        let c = model.encoder.config
        let weights = c.layerCount * (4 * c.hiddenSize * c.hiddenSize + 2 * c.hiddenSize * c.intermediateSize)
        let forward = Workbench.forwardFlops(linearWeights: weights, layers: c.layerCount,
                                             attentionWidth: c.hiddenSize, tokens: b * t, length: t)
        return ComparisonResult(values: ["seconds": seconds, "tokens_per_second": Double(b * t) / seconds,
                                         "flops": 2 * forward])
    }
}
