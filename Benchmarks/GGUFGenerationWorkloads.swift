import Foundation
import LoRASB

/// Greedy generation on the GGUF files llama.cpp runs too (SmolLM2 Q4_1, Qwen2.5-Coder 0.5B and
/// 1.5B Q4_K_M), batch 1 and 8: our side of Benchmarks/reference/llama_cpp_generation.sh, which
/// runs `llama-batched-bench` with the same prompt length, new tokens, batch and threads.
/// Each sequence: a 16-token prompt, then 128 new tokens (end of sequence ignored).
enum GGUFGenerationWorkloads {
    static let files = [
        ("smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
        ("qwen0.5b", "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf"),
        ("qwen1.5b", "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf"),
    ]
    static let promptTokens = 16, newTokens = 128

    /// generate-gguf-<model>-b1 and -b8 for each file (the "generate" prefix keeps OpenBLAS's default threads, see main.swift).
    static var sections: [any BenchmarkSection] {
        files.flatMap { name, file in
            [1, 8].map { batch in
                ComparisonWorkload(name: "generate-gguf-\(name)-b\(batch)",
                                   summary: "greedy generation, \(file), batch \(batch), \(promptTokens) + \(newTokens) tokens",
                                   body: { try run(Workbench.models.appendingPathComponent(file), batch: batch) })
            }
        }
    }

    /// Seconds from the first prompt token to the last new token (prompt processing included, as
    /// llama-batched-bench's total time), one repetition: every run is a fresh process.
    static func run(_ url: URL, batch: Int, repetitions: Int = 1) throws -> ComparisonResult {
        let model = try LlamaModel(contentsOf: url)
        let ids = Workbench.ids(batch * promptTokens, range: model.config.vocabSize).map(Int.init)
        let prompts = (0..<batch).map { Array(ids[($0 * promptTokens)..<(($0 + 1) * promptTokens)]) }
        let options = GenerationOptions(maxNewTokens: newTokens, ignoreEndOfSequence: true)
        var produced = 0
        let seconds = try Workbench.medianSeconds(repetitions: repetitions) {
            produced = try model.generate(prompts: prompts, options: options).reduce(0) { $0 + $1.count }
        }
        let flops = 2 * Double(Workbench.linearWeights(model)) * Double(produced)
        return ComparisonResult(values: ["seconds": seconds, "tokens_per_second": Double(produced) / seconds,
                                         "flops": flops, "threads": Double(ProcessInfo.processInfo.activeProcessorCount)])
    }
}
