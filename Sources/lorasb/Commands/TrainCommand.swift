import Foundation
import LoRASB

/// `lorasb train`: fine-tunes a model with LoRA-SB (or LoRA-XS, LoRA, full fine-tuning).
struct TrainCommand: Command {
    static let name = "train"
    static let summary = "fine-tune a model on your data with LoRA-SB (default), LoRA-XS, LoRA or full fine-tuning"
    static let flags: [Arguments.Flag] = [
        .init("model", help: "model folder (config.json + safetensors + tokenizer.json) or .gguf file"),
        .init("data", help: "JSONL/TSV file, or a folder with train/valid(dev)/test files; a GLUE task folder"),
        .init("adapter-path", help: "output folder: adapter, metrics.jsonl, checkpoints (default: adapters)"),
        .init("method", help: "lora-sb (default), lora-xs, lora or full"),
        .init("rank", help: "adapter rank r (default 32)"),
        .init("alpha", help: "LoRA scale numerator (default r; LoRA-SB and LoRA-XS use r)"),
        .init("targets", help: "comma-separated layers: q,k,v,o,gate,up,down (decoders, default all) or query,key,value,attn_out,ffn_in,ffn_out (encoders, default query,value,attn_out,ffn_out)"),
        .init("iters", help: "optimizer steps (default 100)"),
        .init("epochs", help: "train for this many passes over the data instead of --iters"),
        .init("batch-size", help: "examples per batch (default 4)"),
        .init("grad-accum", aliases: ["gradient-accumulation-steps"], help: "batches per optimizer step (default 1)"),
        .init("learning-rate", aliases: ["lr"], help: "peak learning rate (default 5e-4)"),
        .init("warmup-ratio", help: "fraction of steps warming up (default 0.02)"),
        .init("lr-schedule", help: "cosine (default), linear or constant decay after warm-up"),
        .init("weight-decay", help: "AdamW weight decay (default 0)"),
        .init("max-grad-norm", help: "clip gradients to this global norm; 0 = off (default 1)"),
        .init("seed", help: "seed for data order and initialisation (default 0)"),
        .init("max-seq-len", help: "truncate examples to this many tokens (default 512)"),
        .init("steps-per-eval", help: "validation loss every N steps; 0 = only at the end (default 50)"),
        .init("val-batches", help: "validation batches per evaluation; 0 = all (default 25)"),
        .init("save-every", help: "checkpoint every N steps; 0 = only at the end (default 100)"),
        .init("steps-per-report", help: "progress line and log record every N steps (default 1)"),
        .init("resume", aliases: ["resume-adapter-file"], help: "continue a run from its folder or a checkpoint folder"),
        .init("init-samples", help: "LoRA-SB: training samples for the gradient estimate (default 50)"),
        .init("init-gradient", help: "LoRA-SB: sign (default, the paper's Adam step) or raw gradient"),
        .init("init-lr", help: "LoRA-SB: η_eff from the paper's formula (default), 'authors' (their code's step count), or a number (η_eff itself)"),
        .init("svd-iterations", help: "LoRA-SB: power iterations of the randomized SVD (default 10)"),
        .init("train-examples", help: "use only the first N training examples"),
        .init("val-examples", help: "use only the first N validation examples"),
        .init("chat-template", help: "chatml, llama3 or none instead of the model's own template"),
        .init("no-base-eval", value: false, help: "skip measuring the base model's validation loss"),
        .init("json", value: false, help: "print the result as JSON"),
        .init("config", help: "JSON or YAML file setting any of these options (flags win)"),
    ] + DataFlags.flags + [PrecisionFlag.flag]

    static func run(_ args: Arguments) throws {
        var args = args
        if let config = args.string("config") {
            try args.applyDefaults(ConfigFile.read(config), flags: flags, source: config)
        }
        let request = try makeRequest(args)
        let json = args.has("json")
        let printer = ProgressPrinter.standardError()
        let say: (String) -> Void = { printer.message($0) }
        let interrupt = InterruptMonitor { count in
            if count == 1 { say("interrupted: finishing this step and saving a checkpoint (Ctrl-C again to quit at once)") }
        }
        defer { interrupt.cancel() }
        let result = try FineTuneJob(request, say: say).run(progress: printer, interrupt: interrupt)
        printer.finish()
        if json {
            printJSON(result, request)
        } else {
            printSummary(result)
        }
        if case .interrupted = result.outcome { exit(130) }
    }

    static func makeRequest(_ args: Arguments) throws -> FineTuneRequest {
        let modelURL = URL(fileURLWithPath: try args.required("model"))
        var data = try DataFlags.options(args)
        data.maxTrainExamples = try positive(args, "train-examples")
        data.maxValidationExamples = try args.int("val-examples")

        let method = try AdapterMethod(parsing: args.string("method") ?? "lora-sb")
        let rank = try positive(args, "rank") ?? 32
        let targets = args.string("targets").map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        let family = try ModelFiles(url: modelURL).config.family
        let defaultTargets = LoadedModel.defaultTargets(for: family)
        var adapter = AdapterSettings(method: method, rank: rank, alpha: try args.double("alpha"),
                                      targets: targets ?? defaultTargets,
                                      seed: UInt64(try nonNegative(args, "seed") ?? 0))
        adapter.initSamples = try positive(args, "init-samples") ?? 50
        adapter.svdIterations = try nonNegative(args, "svd-iterations") ?? 10
        if let g = args.string("init-gradient") {
            guard let mode = AdapterSettings.InitGradient(rawValue: g) else { throw CLIError("--init-gradient must be sign or raw") }
            adapter.initGradient = mode
        }
        var trainer = TrainerSettings()
        trainer.iterations = try positive(args, "iters") ?? 100
        trainer.batchSize = try positive(args, "batch-size") ?? 4
        trainer.gradientAccumulation = try positive(args, "grad-accum") ?? 1
        trainer.learningRate = try args.double("learning-rate") ?? 5e-4
        trainer.warmupRatio = try args.double("warmup-ratio") ?? 0.02
        if let s = args.string("lr-schedule") {
            guard let decay = LearningRateSchedule.Decay(rawValue: s) else {
                throw CLIError("--lr-schedule must be one of \(LearningRateSchedule.Decay.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            trainer.decay = decay
        }
        trainer.weightDecay = try args.double("weight-decay") ?? 0
        trainer.maxGradNorm = try args.double("max-grad-norm") ?? 1
        trainer.seed = adapter.seed
        trainer.stepsPerEval = try nonNegative(args, "steps-per-eval") ?? 50
        trainer.validationBatches = try nonNegative(args, "val-batches") ?? 25
        trainer.saveEvery = try nonNegative(args, "save-every") ?? 100
        trainer.stepsPerReport = try positive(args, "steps-per-report") ?? 1
        let epochs = try args.double("epochs")
        if let epochs, epochs <= 0 { throw CLIError("--epochs must be positive") }
        var initLR = FineTuneRequest.InitLearningRate.formula
        if let mode = args.string("init-lr") {
            guard let m = FineTuneRequest.InitLearningRate(argument: mode) else {
                throw CLIError("--init-lr must be formula, authors or a positive number, got '\(mode)'")
            }
            initLR = m
        }
        var recorded: [String: String] = [:]
        for f in flags where f.takesValue { if let v = args.string(f.name) { recorded[f.name] = v } }
        var request = FineTuneRequest(model: modelURL, data: data, adapter: adapter, trainer: trainer, epochs: epochs,
                                      maxSequenceLength: try positive(args, "max-seq-len") ?? 512,
                                      output: URL(fileURLWithPath: args.string("adapter-path") ?? "adapters"),
                                      resume: args.string("resume").map { URL(fileURLWithPath: $0) },
                                      chatTemplate: args.string("chat-template"), initLearningRate: initLR,
                                      evaluateBase: !args.has("no-base-eval"), commandLine: recorded)
        request.precision = try PrecisionFlag.value(args)
        return request
    }

    static func printSummary(_ r: FineTuneResult) {
        func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
        print("validation loss: base \(f(r.baseValidationLoss)) → after init \(f(r.initValidationLoss)) → fine-tuned \(f(r.finalValidationLoss))")
        for (name, value) in r.finalMetrics { print("\(name): \(String(format: "%.4f", value))") }
        print(String(format: "trained %d parameters for %.1f s", r.trainableParameters, r.trainingSeconds))
    }

    static func printJSON(_ r: FineTuneResult, _ request: FineTuneRequest) {
        var object: [String: Any] = [
            "adapter_path": request.output.path,
            "method": request.adapter.method.rawValue,
            "rank": request.adapter.rank,
            "trainable_parameters": r.trainableParameters,
            "total_parameters": r.totalParameters,
            "training_seconds": r.trainingSeconds,
            "truncated_examples": r.truncation.truncatedExamples,
        ]
        if let v = r.baseValidationLoss, v.isFinite { object["base_validation_loss"] = v }
        if let v = r.initValidationLoss, v.isFinite { object["init_validation_loss"] = v }
        if let v = r.finalValidationLoss, v.isFinite { object["final_validation_loss"] = v }
        for (name, value) in r.finalMetrics where value.isFinite { object[name] = value }
        if let i = r.initialisation {
            object["init_seconds"] = i.gradientSeconds + i.svdSeconds
            object["init_energy_kept"] = i.meanEnergyKept
        }
        switch r.outcome {
        case .finished(let step): object["steps"] = step
        case .interrupted(let step, let checkpoint): object["steps"] = step; object["interrupted_checkpoint"] = checkpoint
        }
        printJSONObject(object)
    }
}

func printJSONObject(_ object: Any) {
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]),
       let text = String(data: data, encoding: .utf8) {
        print(text)
    }
}

func positive(_ args: Arguments, _ name: String) throws -> Int? {
    guard let v = try args.int(name) else { return nil }
    guard v >= 1 else { throw CLIError("--\(name) must be at least 1, got \(v)") }
    return v
}

func nonNegative(_ args: Arguments, _ name: String) throws -> Int? {
    guard let v = try args.int(name) else { return nil }
    guard v >= 0 else { throw CLIError("--\(name) must not be negative, got \(v)") }
    return v
}
