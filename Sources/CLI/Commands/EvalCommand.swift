import Distributed
import Foundation
import LoRASB

/// `lorasb eval`: loss / perplexity, GSM8K accuracy or classification metrics of a model,
/// with or without a trained adapter.
struct EvalCommand: Command {
    static let name = "eval"
    static let summary = "evaluate a model (optionally with an adapter): loss/perplexity, task accuracy (GSM8K, MATH, commonsense), classification accuracy/F1/MCC"
    /// The library's defaults, quoted by the help and kept by every unset flag.
    static let defaults = EvaluationRequest(model: URL(fileURLWithPath: ""), data: DataOptions(path: URL(fileURLWithPath: "")))

    static let flags: [Arguments.Flag] = [
        .init("model", help: "model folder (config.json + safetensors + tokenizer.json) or .gguf file"),
        .init("adapter", aliases: ["adapter-path"], help: "a lorasb adapter folder (from lorasb train) to load onto the model"),
        .init("data", help: "JSONL/TSV file, or a folder with train/valid(dev)/test files; a GLUE task folder"),
        .init("split", help: "valid, test or train (default: valid, else test; ignored for a file)"),
        .init("metric", help: "\(EvaluationMetric.allCases.map(\.rawValue).joined(separator: ", ")) (default \(defaults.metric.rawValue))"),
        .init("limit", help: "evaluate only the first N examples (of every set)"),
        .init("scoring", help: "task families: \(TaskScoring.allCases.map(\.rawValue).joined(separator: " or ")) (the likeliest answer keyword; commonsense) (default \(defaults.scoring.rawValue))"),
        .init("max-tokens", help: "generation: new tokens per answer (default: the task's, \(TaskFamilies.all.map { "\($0.name) \($0.maxNewTokens)" }.joined(separator: ", ")))"),
        .init("batch-size", help: "examples per batch; generation: answers decoded together, a finished one's place taken by the next problem (default \(defaults.batchSize))"),
        .init("max-seq-len", help: "truncate examples to this many tokens (default \(defaults.maxSequenceLength))"),
        .init("chat-template", help: "chatml, llama3 or none instead of the model's own template"),
        .init("output", help: "task families: write every problem's answer and score to this JSONL file"),
        .init("dump-logits", help: "write input ids and logits of the evaluated examples to this .safetensors file"),
        .init("json", value: false, help: "print the result as JSON"),
    ] + DataFlags.flags + [PrecisionFlag.flag]

    static func run(_ args: Arguments) throws {
        let request = try makeRequest(args)
        let printer = ProgressPrinter.standardError()
        // Under mpirun the processes share the examples; rank 0 alone prints and writes.
        let world = try World.communicator()
        let result = try EvaluationJob(request, communicator: world) { printer.update($0) }.run()
        guard world.isRoot else { return }
        printer.finish()
        if args.has("json") {
            var object: [String: Any] = ["metric": result.metric.rawValue, "file": result.file, "examples": result.examples]
            if let task = result.task { object["task"] = task }
            if let scoring = result.scoring { object["scoring"] = scoring.rawValue }
            for (name, value) in result.values where value.isFinite { object[name] = value }
            if let a = request.adapter { object["adapter"] = a.path }
            printJSONObject(object)
        } else {
            print("\(result.file): \(result.examples) examples" + (result.task.map { ", task \($0)" } ?? "")
                  + (result.scoring.map { ", scored by \($0.rawValue)" } ?? ""))
            for (name, value) in result.values {
                print(countNames.contains { name.hasSuffix($0) } ? "\(name): \(Int(value))" : "\(name): \(String(format: "%.4f", value))")
            }
        }
    }

    /// Result values that are counts, printed as whole numbers.
    static let countNames = ["correct", "target_tokens", "unanswered", "too_long", "examples"]

    static func makeRequest(_ args: Arguments) throws -> EvaluationRequest {
        let data = try DataFlags.options(args)
        var request = EvaluationRequest(model: URL(fileURLWithPath: try args.required("model")),
                                        adapter: args.string("adapter").map { URL(fileURLWithPath: $0) },
                                        data: data)
        if let s = args.string("split") {
            let name = ["validation": "valid", "dev": "valid"][s] ?? s
            guard let split = DataSplit(rawValue: name) else { throw CLIError("--split must be valid, test or train") }
            request.split = split
        }
        if let m = args.string("metric") {
            guard let metric = EvaluationMetric(rawValue: m) else {
                throw CLIError("--metric must be one of \(EvaluationMetric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            request.metric = metric
        }
        request.limit = try positive(args, "limit")
        if let s = args.string("scoring") {
            guard let scoring = TaskScoring(rawValue: s) else {
                throw CLIError("--scoring must be \(TaskScoring.allCases.map(\.rawValue).joined(separator: " or ")), got '\(s)'")
            }
            request.scoring = scoring
        }
        if let m = try positive(args, "max-tokens") { request.maxNewTokens = m }
        try args.override(&request.batchSize, "batch-size", atLeast: 1)
        try args.override(&request.maxSequenceLength, "max-seq-len", atLeast: 1)
        request.chatTemplate = args.string("chat-template")
        request.generationsOutput = args.string("output").map { URL(fileURLWithPath: $0) }
        request.dumpLogits = args.string("dump-logits").map { URL(fileURLWithPath: $0) }
        request.precision = try PrecisionFlag.value(args)
        return request
    }
}
