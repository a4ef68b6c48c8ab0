// Benchmarks of the building blocks and of whole training steps.
//
//   swift run -c release Benchmarks            runs every section
//   swift run -c release Benchmarks sgemm      runs only the named sections
//   swift run -c release Benchmarks --list     lists the sections
//
// A section is a type conforming to `BenchmarkSection` in its own file, registered below.
import Foundation
import LoRASB

// As `lorasb train` does; generation alone keeps OpenBLAS's default (see BLASThreadTimeout).
let requested = CommandLine.arguments.dropFirst()
BLASThreadTimeout.shortenByRestarting(when: requested.isEmpty || !requested.allSatisfy { $0.hasPrefix("generate") || $0 == "q8-decode" })

let sections: [any BenchmarkSection] = [
    SgemmBenchmark(),
    BF16GemmBenchmark(),
    KernelBenchmark(),
    PackedProductBenchmark(),
    AttentionBenchmark(),
    FunctionSection(name: "model-open", summary: "time to open each model and convert its tensors to fp32",
                    body: runModelOpenBenchmark),
    FunctionSection(name: "tokenizer", summary: "tokens per second encoding GSM8K train, ours against Hugging Face tokenizers",
                    body: runTokenizerBenchmark),
    FunctionSection(name: "model", summary: "forward, forward+backward and generation speed of both models",
                    body: runModelBenchmark),
    ComparisonWorkload(name: "step-smollm2", summary: "LoRA-SB r=32 training step, SmolLM2 4×256, all seven projections",
                       body: { try TrainingStepWorkloads.smolLM2(.loraSB) }),
    ComparisonWorkload(name: "step-minilm", summary: "LoRA-SB r=24 classification step, MiniLM 32×128",
                       body: { try TrainingStepWorkloads.miniLM() }),
    ComparisonWorkload(name: "step-smollm2-bf16", summary: "step-smollm2 with the frozen weights multiplied in bf16",
                       body: { try TrainingStepWorkloads.smolLM2(.loraSB, bf16: true) }),
    ComparisonWorkload(name: "step-smollm2-checkpointed", summary: "step-smollm2 with gradient checkpointing",
                       body: { try TrainingStepWorkloads.smolLM2(.loraSB, checkpointing: true) }),
    ComparisonWorkload(name: "step-minilm-bf16", summary: "step-minilm with bf16 copies of the frozen weights",
                       body: { try TrainingStepWorkloads.miniLM(bf16: true) }),
    ComparisonWorkload(name: "init-smollm2", summary: "LoRA-SB initialisation: 50 samples + SVD of every target, SmolLM2",
                       body: { try InitializationWorkload.smolLM2() }),
    ComparisonWorkload(name: "init-smollm2-bf16", summary: "init-smollm2 with bf16 copies of the weights",
                       body: { try InitializationWorkload.smolLM2(bf16: true) }),
    ComparisonWorkload(name: "generate-b1", summary: "greedy generation of 128 tokens, SmolLM2, batch 1",
                       body: { try GenerationWorkload.smolLM2(batch: 1) }),
    ComparisonWorkload(name: "generate-b8", summary: "greedy generation of 128 tokens, SmolLM2, batch 8",
                       body: { try GenerationWorkload.smolLM2(batch: 8) }),
    QuantizedDecodeBenchmark(),
    InterleavedRowsBenchmark(),
    ComparisonWorkload(name: "lora-step-smollm2", summary: "LoRA r=8 training step, SmolLM2 4×256",
                       body: { try TrainingStepWorkloads.smolLM2(.lora) }),
    ComparisonWorkload(name: "full-step-smollm2", summary: "full fine-tuning step, SmolLM2 4×256",
                       body: { try TrainingStepWorkloads.smolLM2(.full, repetitions: 1) }),
    // The real-size models (scripts/fetch-qwen.sh): BENCHMARKS.md, "Real size".
    ComparisonWorkload(name: "step-qwen05", summary: "LoRA-SB r=32 training step, Qwen2.5-Coder-0.5B Q4_K_M 4×256, all seven projections",
                       body: { try TrainingStepWorkloads.decoder(Workbench.qwen05, .loraSB, repetitions: 1) }),
    ComparisonWorkload(name: "step-qwen05-bf16", summary: "step-qwen05 with the frozen weights multiplied in bf16",
                       body: { try TrainingStepWorkloads.decoder(Workbench.qwen05, .loraSB, repetitions: 1, bf16: true) }),
    ComparisonWorkload(name: "init-qwen05", summary: "LoRA-SB initialisation (50 samples + SVDs) on Qwen2.5-Coder-0.5B, fp32",
                       body: { try InitializationWorkload.decoder(Workbench.qwen05, bf16: false) }),
    ComparisonWorkload(name: "init-qwen05-bf16", summary: "LoRA-SB initialisation (50 samples + SVDs) on Qwen2.5-Coder-0.5B, bf16",
                       body: { try InitializationWorkload.decoder(Workbench.qwen05, bf16: true) }),
    ComparisonWorkload(name: "job-qwen15", summary: "LoRA-SB initialisation (50 samples, --init-memory 2) + 20 steps of 4×256 on Qwen2.5-Coder-1.5B Q4_K_M",
                       body: { try InitializationWorkload.decoder(Workbench.qwen15, thenSteps: 20, initMemoryBudget: 2_000_000_000) }),
] + GGUFGenerationWorkloads.sections

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--list") || arguments.contains("--help") || arguments.contains("-h") {
    print("Sections (run all when none is named):")
    for section in sections { print("  \(section.name.padding(toLength: max(20, section.name.count + 2), withPad: " ", startingAt: 0))\(section.summary)") }
    exit(0)
}
let known = Set(sections.map(\.name))
let unknown = arguments.filter { !known.contains($0) }
if !unknown.isEmpty {
    FileHandle.standardError.write(Data("unknown benchmark section(s): \(unknown.joined(separator: ", ")); known: \(known.sorted().joined(separator: ", "))\n".utf8))
    exit(2)
}

print(MachineDescription.current.markdown)
for section in sections where arguments.isEmpty || arguments.contains(section.name) {
    print("\n## \(section.name): \(section.summary)\n")
    section.run()
}
