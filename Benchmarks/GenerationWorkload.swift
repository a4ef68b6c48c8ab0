import Foundation
import LoRASB

/// Greedy generation from a `promptTokens`-token prompt per sequence, then `newTokens` new
/// tokens (end of sequence ignored): SmolLM2 against Transformers' `generate` with its KV cache,
/// and every GGUF against llama.cpp (`GGUFGenerationWorkloads`).
enum GenerationWorkload {
    static func smolLM2(batch: Int, newTokens: Int = 128, repetitions: Int = 2) throws -> ComparisonResult {
        try run(Workbench.smolLM2, batch: batch, newTokens: newTokens, repetitions: repetitions)
    }

    /// Seconds from the first prompt token to the last new token (prompt processing included),
    /// the median of `repetitions`, with the frozen products in `precision`.
    static func run(_ url: URL, batch: Int, promptTokens: Int = 16, newTokens: Int = 128,
                    precision: ComputePrecision = .fp32, repetitions: Int) throws -> ComparisonResult {
        let model = try LlamaModel(contentsOf: url)
        try model.use(precision)
        let ids = Workbench.ids(batch * promptTokens, range: model.config.vocabSize).map(Int.init)
        let prompts = (0..<batch).map { Array(ids[($0 * promptTokens)..<(($0 + 1) * promptTokens)]) }
        let options = GenerationOptions(maxNewTokens: newTokens, ignoreEndOfSequence: true)
        var produced = 0
        let seconds = try Workbench.medianSeconds(repetitions: repetitions) {
            produced = try model.generate(prompts: prompts, options: options).reduce(0) { $0 + $1.count }
        }
        // Each new token reads every linear weight once: 2 FLOPs per weight per token.
        let flops = 2 * Double(Workbench.linearWeights(model)) * Double(produced)
        return ComparisonResult(values: ["seconds": seconds, "tokens_per_second": Double(produced) / seconds,
                                         "flops": flops, "threads": Double(ProcessInfo.processInfo.activeProcessorCount)])
    }
}
