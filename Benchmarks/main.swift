// Benchmarks of the building blocks and of whole training steps.
//
//   swift run -c release Benchmarks            runs every section
//   swift run -c release Benchmarks sgemm      runs only the named sections
//   swift run -c release Benchmarks --list     lists the sections
//
// A section is a type conforming to `BenchmarkSection` in its own file, registered below.
import Foundation
import LoRASB

let sections: [any BenchmarkSection] = [
    SgemmBenchmark(),
    KernelBenchmark(),
    FunctionSection(name: "model-open", summary: "time to open each model and convert its tensors to fp32",
                    body: runModelOpenBenchmark),
    FunctionSection(name: "tokenizer", summary: "tokens per second encoding GSM8K train, ours against Hugging Face tokenizers",
                    body: runTokenizerBenchmark),
    FunctionSection(name: "model", summary: "forward, forward+backward and generation speed of both models",
                    body: runModelBenchmark),
]

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--list") || arguments.contains("--help") || arguments.contains("-h") {
    print("Sections (run all when none is named):")
    for section in sections { print("  \(section.name.padding(toLength: 12, withPad: " ", startingAt: 0))\(section.summary)") }
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
