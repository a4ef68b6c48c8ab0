import Foundation
import LoRASB

/// Greedy generation of 128 tokens with SmolLM2 (end of sequence ignored), from a 16-token
/// prompt per sequence, compared with Transformers' `generate` with its KV cache.
enum GenerationWorkload {
    static func smolLM2(batch: Int, newTokens: Int = 128, repetitions: Int = 2) throws -> ComparisonResult {
        let model = try LlamaModel(contentsOf: Workbench.smolLM2)
        let ids = Workbench.ids(batch * 16, range: model.config.vocabSize).map(Int.init)
        let prompts = (0..<batch).map { Array(ids[($0 * 16)..<(($0 + 1) * 16)]) }
        let options = GenerationOptions(maxNewTokens: newTokens, ignoreEndOfSequence: true)
        var produced = 0
        let seconds = try Workbench.medianSeconds(repetitions: repetitions) {
            produced = try model.generate(prompts: prompts, options: options).reduce(0) { $0 + $1.count }
        }
        // Each new token reads every linear weight once: 2 FLOPs per weight per token.
        let flops = 2 * Double(Workbench.linearWeights(model)) * Double(produced)
        return ComparisonResult(values: ["seconds": seconds, "tokens_per_second": Double(produced) / seconds,
                                         "flops": flops])
    }
}
