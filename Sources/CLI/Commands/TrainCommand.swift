import Distributed
import Foundation
import LoRASB

/// `lorasb train`: fine-tunes a model with LoRA-SB (or LoRA-XS, LoRA, full fine-tuning).
struct TrainCommand: Command {
    static let name = "train"
    static let summary = "fine-tune a model on your data with LoRA-SB (default), LoRA-XS, LoRA or full fine-tuning"
    /// The library's defaults: help texts quote them and every unset flag keeps them.
    static let trainer = TrainerSettings()
    static let adapter = AdapterSettings(targets: [])
    static let request = FineTuneRequest(model: URL(fileURLWithPath: ""), data: DataOptions(path: URL(fileURLWithPath: "")),
                                         adapter: adapter, trainer: trainer, output: defaultOutput)
    /// The output folder when `--adapter-path` is not given (the library always names one).
    static let defaultOutput = URL(fileURLWithPath: "adapters")

    static let flags: [Arguments.Flag] = [
        .init("model", help: "model folder (config.json + safetensors + tokenizer.json) or .gguf file"),
        .init("data", help: "JSONL/TSV file, or a folder with train/valid(dev)/test files; a GLUE task folder"),
        .init("adapter-path", help: "output folder: adapter, metrics.jsonl, checkpoints (default: \(defaultOutput.lastPathComponent))"),
        .init("method", help: "\(AdapterMethod.allCases.map(\.rawValue).joined(separator: ", ")) (default \(adapter.method.rawValue))"),
        .init("rank", help: "adapter rank r (default \(adapter.rank))"),
        .init("alpha", help: "LoRA scale numerator (default r; LoRA-SB and LoRA-XS use r)"),
        .init("targets", help: "comma-separated layers: \(LoadedModel.defaultTargets(for: .llama).joined(separator: ",")) (decoders, default all) or query,key,value,attn_out,ffn_in,ffn_out (encoders, default \(LoadedModel.defaultTargets(for: .bert).joined(separator: ",")))"),
        .init("iters", help: "optimizer steps (default \(trainer.iterations))"),
        .init("epochs", help: "train for this many passes over the data instead of --iters"),
        .init("batch-size", help: "examples per batch (default \(trainer.batchSize))"),
        .init("grad-accum", aliases: ["gradient-accumulation-steps"], help: "batches per optimizer step (default \(trainer.gradientAccumulation))"),
        .init("learning-rate", aliases: ["lr"], help: "peak learning rate (default \(trainer.learningRate))"),
        .init("warmup-ratio", help: "fraction of steps warming up (default \(trainer.warmupRatio))"),
        .init("lr-schedule", help: "\(LearningRateSchedule.Decay.allCases.map(\.rawValue).joined(separator: ", ")) decay after warm-up (default \(trainer.decay.rawValue))"),
        .init("weight-decay", help: "AdamW weight decay (default \(trainer.weightDecay))"),
        .init("max-grad-norm", help: "clip gradients to this global norm; 0 = off (default \(trainer.maxGradNorm))"),
        .init("seed", help: "seed for data order and initialisation (default \(adapter.seed))"),
        .init("max-seq-len", help: "truncate examples to this many tokens (default \(request.maxSequenceLength))"),
        .init("steps-per-eval", help: "validation loss (and a head's metrics) every N steps, or 'epoch' after every epoch; 0 = only at the end (default \(trainer.stepsPerEval))"),
        .init("val-batches", help: "validation batches per evaluation; 0 = all (default \(trainer.validationBatches))"),
        .init("save-every", help: "checkpoint every N steps; 0 = only at the end (default \(trainer.saveEvery))"),
        .init("steps-per-report", help: "progress line and log record every N steps (default \(trainer.stepsPerReport))"),
        .init("resume", aliases: ["resume-adapter-file"], help: "continue a run from its folder or a checkpoint folder"),
        .init("init-samples", help: "LoRA-SB: training samples for the gradient estimate (default \(adapter.initSamples))"),
        .init("init-gradient", help: "LoRA-SB: sign (the paper's Adam step) or raw gradient (default \(adapter.initGradient.rawValue))"),
        .init("init-lr", help: "LoRA-SB: η_eff from the paper's formula, 'authors' (their code's step count), or a number (η_eff itself) (default \(request.initLearningRate))"),
        .init("init-order", help: "LoRA-SB: which samples estimate the gradient: \(AdapterSettings.InitOrder.allCases.map(\.rawValue).joined(separator: " or ")) (the first N in file order) (default \(adapter.initOrder.rawValue))"),
        .init("init-basis", help: "LoRA-SB ablation: B and A from the SVD of the estimated update or of a random matrix: \(Arguments.choices(AdapterSettings.InitBasis.self)) (default \(adapter.initBasis.rawValue))"),
        .init("init-noise", help: "LoRA-SB ablation: Gaussian noise added to the estimated update, relative to its RMS (e.g. 1e-3; default \(adapter.initNoise))"),
        .init("init-split", help: "LoRA-SB ablation: singular values in R (B, A orthonormal) or in B (R = I): \(Arguments.choices(AdapterSettings.InitSplit.self)) (default \(adapter.initSplit.rawValue))"),
        .init("svd-iterations", help: "LoRA-SB: power iterations of the randomized SVD (default \(adapter.svdIterations))"),
        .init("init-memory", help: "LoRA-SB, LoRA-GA: GB the summed gradients may take at once; more passes over the samples when the targets need more, same result (default \(adapter.initMemoryBudget.map { "\(Double($0) / 1e9)" } ?? "no limit"))"),
        .init("ga-gamma", help: "LoRA-GA: γ of the stable scale out^¼/√γ (default \(adapter.loraGAGamma))"),
        .init("train-examples", help: "use only the first N training examples"),
        .init("val-examples", help: "use only the first N validation examples"),
        .init("chat-template", help: "chatml, llama3 or none instead of the model's own template"),
        .init("no-base-eval", value: false, help: "skip measuring the base model's validation loss"),
        .init("json", value: false, help: "print the result as JSON"),
        .init("config", help: "JSON or YAML file setting any of these options (flags win)"),
    ] + DataFlags.flags + [PrecisionFlag.flag] + MemoryFlags.flags

    static func run(_ args: Arguments) throws {
        var args = args
        if let config = args.string("config") {
            try args.applyDefaults(ConfigFile.read(config), flags: flags, source: config)
        }
        // The default targets need the model's family: the job reuses this opening.
        let opener = ModelOpener()
        let request = try makeRequest(args, opener: opener)
        let json = args.has("json")
        let printer = ProgressPrinter.standardError()
        let say: (String) -> Void = { printer.message($0) }
        let interrupt = InterruptMonitor { count in
            if count == 1 { say("interrupted: finishing this step and saving a checkpoint (Ctrl-C again to quit at once)") }
        }
        defer { interrupt.cancel() }
        let world = try World.communicator()
        let result = try FineTuneJob(request, opener: opener, communicator: world, say: say)
            .run(progress: printer, interrupt: interrupt)
        printer.finish()
        guard world.isRoot else { return }
        if json {
            printJSON(result, request)
        } else {
            printSummary(result)
        }
        if case .interrupted = result.outcome { exit(130) }
    }

    /// The request the flags describe: the library's defaults, with what the flags set.
    static func makeRequest(_ args: Arguments, opener: ModelOpening = ModelOpener()) throws -> FineTuneRequest {
        let modelURL = URL(fileURLWithPath: try args.required("model"))
        var data = try DataFlags.options(args)
        data.maxTrainExamples = try positive(args, "train-examples")
        data.maxValidationExamples = try args.int("val-examples")

        let family = try opener.files(at: modelURL).config.family
        var adapter = Self.adapter
        adapter.targets = LoadedModel.defaultTargets(for: family)
        if let name = args.string("method") { adapter.method = try AdapterMethod(parsing: name) }
        try args.override(&adapter.rank, "rank", atLeast: 1)
        adapter.alpha = try args.double("alpha") ?? Double(adapter.rank)
        if let t = args.string("targets") {
            adapter.targets = t.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        try args.override(&adapter.seed, "seed")
        try args.override(&adapter.initSamples, "init-samples", atLeast: 1)
        try args.override(&adapter.svdIterations, "svd-iterations", atLeast: 0)
        try args.override(&adapter.initGradient, "init-gradient")
        try args.override(&adapter.initOrder, "init-order")
        try args.override(&adapter.initBasis, "init-basis")
        try args.override(&adapter.initSplit, "init-split")
        try args.override(&adapter.initNoise, "init-noise")
        if let gb = try args.double("init-memory") {
            guard gb > 0, gb.isFinite, gb * 1e9 < Double(Int.max) else { throw CLIError("--init-memory must be a positive number of GB, got \(gb)") }
            adapter.initMemoryBudget = Int(gb * 1e9)
        }
        try args.override(&adapter.loraGAGamma, "ga-gamma")

        var trainer = Self.trainer
        try args.override(&trainer.iterations, "iters", atLeast: 1)
        try args.override(&trainer.batchSize, "batch-size", atLeast: 1)
        try args.override(&trainer.gradientAccumulation, "grad-accum", atLeast: 1)
        try args.override(&trainer.learningRate, "learning-rate")
        try args.override(&trainer.warmupRatio, "warmup-ratio")
        try args.override(&trainer.decay, "lr-schedule")
        try args.override(&trainer.weightDecay, "weight-decay")
        try args.override(&trainer.maxGradNorm, "max-grad-norm")
        trainer.seed = adapter.seed   // one seed for data order and initialisation
        let eachEpoch = args.string("steps-per-eval") == "epoch"
        if !eachEpoch { try args.override(&trainer.stepsPerEval, "steps-per-eval", atLeast: 0) }
        try args.override(&trainer.validationBatches, "val-batches", atLeast: 0)
        try args.override(&trainer.saveEvery, "save-every", atLeast: 0)
        try args.override(&trainer.stepsPerReport, "steps-per-report", atLeast: 1)

        var request = Self.request
        request.model = modelURL
        request.data = data
        request.adapter = adapter
        request.trainer = trainer
        request.epochs = try args.double("epochs")
        request.evaluateEachEpoch = eachEpoch
        if let epochs = request.epochs, epochs <= 0 { throw CLIError("--epochs must be positive") }
        try args.override(&request.maxSequenceLength, "max-seq-len", atLeast: 1)
        if let path = args.string("adapter-path") { request.output = URL(fileURLWithPath: path) }
        request.resume = args.string("resume").map { URL(fileURLWithPath: $0) }
        request.chatTemplate = args.string("chat-template")
        if let mode = args.string("init-lr") {
            guard let m = FineTuneRequest.InitLearningRate(argument: mode) else {
                throw CLIError("--init-lr must be formula, authors or a positive number, got '\(mode)'")
            }
            request.initLearningRate = m
        }
        if args.has("no-base-eval") { request.evaluateBase = false }
        request.precision = try PrecisionFlag.value(args)
        for f in flags where f.takesValue { if let v = args.string(f.name) { request.commandLine[f.name] = v } }
        MemoryFlags.apply(args, to: &request)
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
            "validation_truncated_examples": r.validationTruncation.truncatedExamples,
        ]
        if let v = r.baseValidationLoss, v.isFinite { object["base_validation_loss"] = v }
        if let v = r.initValidationLoss, v.isFinite { object["init_validation_loss"] = v }
        if let v = r.finalValidationLoss, v.isFinite { object["final_validation_loss"] = v }
        for (name, value) in r.finalMetrics where value.isFinite { object[name] = value }
        if let i = r.initialisation {
            object["init_seconds"] = i.gradientSeconds + i.svdSeconds
            object["init_energy_kept"] = i.meanEnergyKept
            object["init_passes"] = i.passes
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
