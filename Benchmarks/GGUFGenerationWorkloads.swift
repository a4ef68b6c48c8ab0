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

    /// generate-gguf-<model>-b1 and -b8 for each file, in fp32, and the same with `-q8` appended
    /// for `--precision q8` (the "generate" prefix keeps OpenBLAS's default threads, see main.swift).
    /// `-q8-rows` is `-q8` with the quantised weights kept row after row as in the file instead of
    /// interleaved by 8 (`InterleavedMatrix`), to measure what the interleaving brings.
    static var sections: [any BenchmarkSection] {
        files.flatMap { name, file in
            [(ComputePrecision.fp32, "", true), (.q8, "-q8", true), (.q8, "-q8-rows", false)].flatMap { precision, suffix, interleaved in
                [1, 8].map { batch in
                    ComparisonWorkload(name: "generate-gguf-\(name)-b\(batch)\(suffix)",
                                       summary: "greedy generation, \(file), batch \(batch), \(promptTokens) + \(newTokens) tokens, \(precision.rawValue)\(interleaved ? "" : ", rows not interleaved")",
                                       body: {
                                           InterleavedMatrix.isEnabled = interleaved
                                           return try run(Workbench.models.appendingPathComponent(file), batch: batch, precision: precision)
                                       })
                }
            }
        }
    }

    /// Prompt processing included, as llama-batched-bench's total time; one repetition: every
    /// run is a fresh process.
    static func run(_ url: URL, batch: Int, precision: ComputePrecision) throws -> ComparisonResult {
        try GenerationWorkload.run(url, batch: batch, promptTokens: promptTokens, newTokens: newTokens,
                                   precision: precision, repetitions: 1)
    }
}
