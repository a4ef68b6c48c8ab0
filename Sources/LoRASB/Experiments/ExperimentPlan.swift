import Foundation
import ModelIO
import Tokenizers
import Training

/// Tokens per second a suite's work runs at: what the time estimates of a plan divide by.
public struct ExperimentThroughput: Sendable, Equatable {
    /// Training steps with a frozen base (forward, backward, AdamW on the adapter).
    public var training: Double
    /// Forward passes (validation, the gradient estimate counts as training).
    public var forward: Double
    /// New tokens generated per second over a batch (GSM8K accuracy).
    public var generation: Double
    /// How much slower a full fine-tuning step is than an adapter step (weight gradients and
    /// AdamW over every parameter).
    public var fullFineTuningSlowdown: Double

    /// SmolLM2-135M on a quiet 2-core machine (the rates measured for the reference PyTorch
    /// implementation on this machine class: ~200 training tokens/s at 8 × 128, ~550 forward,
    /// ~17 generated per second at batch 1, more when batched).
    public static let smolLM2 = ExperimentThroughput(training: 200, forward: 550, generation: 40, fullFineTuningSlowdown: 1.6)
    /// all-MiniLM-L6-v2 on the same machine (~2,700 training tokens/s at 8 × 128).
    public static let miniLM = ExperimentThroughput(training: 2500, forward: 7500, generation: 0, fullFineTuningSlowdown: 1.6)
    /// Qwen2.5-Coder-0.5B Q4_K_M: ~65 training tokens/s at 8 × ≤ 320 and ~110 generated per
    /// second with q8 (prompts too, rows interleaved) and 8 rows refilled (measured: ~90 before
    /// the interleaved rows, 1.26× less time on 24 GSM8K problems); forward taken at SmolLM2's
    /// 2.75× training.
    public static let qwen05 = ExperimentThroughput(training: 65, forward: 180, generation: 110, fullFineTuningSlowdown: 1.6)

    /// The rates a suite's dry run estimates with, by the model the suite runs.
    public static func measured(for suite: ExperimentSuiteName) -> ExperimentThroughput {
        switch suite {
        case .glue, .subspace: return .miniLM
        case .arithmetic, .commonsense: return .qwen05
        case .decoder, .ablationInit, .ablationLR, .ablationBasis, .ablationSplit: return .smolLM2
        }
    }
}

/// What a suite will do, estimated before it runs: per configuration the tokens it trains on,
/// initialises from, validates and generates, and the time that takes at `throughput`.
public struct ExperimentPlan: Sendable {
    public struct Entry: Sendable {
        public var run: ExperimentRun
        /// A run of a later seed whose rate the grid has not chosen yet (shown at the
        /// configuration's own rate; it costs the same).
        public var rateToBeChosen: Bool
        public var trainingTokens: Int
        public var initTokens: Int
        public var validationTokens: Int
        public var generationTokens: Int
        public var estimatedSeconds: Double
        /// Already finished in the output folder (will be skipped).
        public var finished: Bool
    }

    /// Mean tokens of a task's examples after truncation.
    public struct TaskSize: Sendable {
        public var trainExamples: Int
        public var validationExamples: Int
        public var meanTrainTokens: Double
        public var meanValidationTokens: Double
    }

    public var suite: ExperimentSuite
    public var throughput: ExperimentThroughput
    public var tasks: [String: TaskSize]
    public var entries: [Entry]

    public var estimatedSeconds: Double { entries.filter { !$0.finished }.map(\.estimatedSeconds).reduce(0, +) }

    /// Tokenises the suite's data (no model weights are loaded) and estimates every run of
    /// `runs` (default: the tuning runs and every seed, at the rates chosen so far); the
    /// runs `finished` names are marked as done.
    public static func make(_ suite: ExperimentSuite, throughput: ExperimentThroughput,
                            runs: [(run: ExperimentRun, rateToBeChosen: Bool)]? = nil,
                            finished: (ExperimentRun) -> Bool = { _ in false }) throws -> ExperimentPlan {
        let files = try ModelOpener().files(at: suite.model)
        let tokenizer = try Tokenizer.load(files: files)
        let generation = Double(try suite.accuracies.reduce(0) { $0 + (try $1.generatedTokens()) })
        var sizes: [String: TaskSize] = [:]
        for task in suite.tasks {
            sizes[task.name] = try measure(task, suite: suite, family: files.config.family, tokenizer: tokenizer)
        }
        let entries = (runs ?? suite.plannedRuns(chosen: { _ in nil })).map { planned -> Entry in
            let c = planned.run.configuration
            let size = sizes[c.task] ?? TaskSize(trainExamples: 0, validationExamples: 0, meanTrainTokens: 0, meanValidationTokens: 0)
            let steps = suite.steps(trainExamples: size.trainExamples)
            let training = Double(steps * suite.batchSize) * size.meanTrainTokens
            // LoRA-SB and LoRA-GA pass their init samples through the whole model first.
            let initTokens = [.loraSB, .loraGA].contains(c.method) ? Double(min(c.initSamples, size.trainExamples)) * size.meanTrainTokens : 0
            let evaluations = suite.evaluations(trainExamples: size.trainExamples)
            let validation = Double(evaluations * size.validationExamples) * size.meanValidationTokens
            let slowdown = c.method == .full ? throughput.fullFineTuningSlowdown : 1
            var seconds = (training * slowdown + initTokens * throughput.fullFineTuningSlowdown) / throughput.training
                + validation / throughput.forward
            if generation > 0, throughput.generation > 0 { seconds += generation / throughput.generation }
            return Entry(run: planned.run, rateToBeChosen: planned.rateToBeChosen, trainingTokens: Int(training), initTokens: Int(initTokens),
                         validationTokens: Int(validation), generationTokens: Int(generation),
                         estimatedSeconds: seconds, finished: finished(planned.run))
        }
        return ExperimentPlan(suite: suite, throughput: throughput, tasks: sizes, entries: entries)
    }

    /// The examples as a run reads them (`TrainingData`); lengths are counted up to the suite's
    /// limit without dropping anything, so the estimate sees every example.
    static func measure(_ task: ExperimentTask, suite: ExperimentSuite, family: ModelFamily,
                        tokenizer: Tokenizer) throws -> TaskSize {
        let limit = suite.maxSequenceLength
        func mean(_ xs: [TokenizedExample]) -> Double {
            xs.isEmpty ? 0 : Double(xs.map { min($0.tokens.count, limit) }.reduce(0, +)) / Double(xs.count)
        }
        let encoded = try TrainingData.load(task.data, family: family).encoded(with: tokenizer, maxSequenceLength: Int.max)
        return TaskSize(trainExamples: encoded.train.count, validationExamples: encoded.validation.count,
                        meanTrainTokens: mean(encoded.train), meanValidationTokens: mean(encoded.validation))
    }

    /// The plan as text: one line per run, then the total.
    public var text: String {
        var out = "\(suite.title) (\(suite.scale.rawValue) scale): \(entries.count) runs, model \(suite.model.path)\n"
        for task in suite.tasks {
            if let s = tasks[task.name] {
                out += String(format: "  data %@: %d training examples (mean %.0f tokens), %d validation (mean %.0f tokens)\n",
                              task.name, s.trainExamples, s.meanTrainTokens, s.validationExamples, s.meanValidationTokens)
            }
        }
        out += "  every run: \(suite.runLength) of \(suite.batchSize), max \(suite.maxSequenceLength) tokens; "
        out += "seeds \(suite.seeds.map(String.init).joined(separator: ", "))"
        if let grid = suite.learningRateGrid { out += "; learning rates tuned over \(grid.description) with seed \(suite.seed)" }
        out += "\n"
        for e in entries {
            let c = e.run.configuration
            let id = e.rateToBeChosen ? "\(c.id)-lr?-s\(e.run.seed)" : e.run.id
            var line = "  \(id.padding(toLength: 44, withPad: " ", startingAt: 0)) \(c.methodName)"
            if c.method != .full { line += " r=\(c.rank)" }
            line += e.rateToBeChosen ? ", lr chosen by the grid" : ", lr \(ExperimentRun.rateText(e.run.learningRate))"
            if c.method == .loraSB { line += ", init \(c.initSamples) (\(c.initGradient.rawValue))" }
            line += ": \(e.trainingTokens) training tokens"
            if e.initTokens > 0 { line += ", \(e.initTokens) init" }
            line += ", \(e.validationTokens) validation"
            if e.generationTokens > 0 { line += ", ≤\(e.generationTokens) generated" }
            line += e.finished ? " — finished, will be skipped" : " ≈ \(TrainingProgress.clock(e.estimatedSeconds))"
            out += line + "\n"
        }
        out += String(format: "estimated total: %@ at %.0f training / %.0f forward tokens/s", TrainingProgress.clock(estimatedSeconds),
                      throughput.training, throughput.forward)
        if !suite.accuracies.isEmpty { out += String(format: " / %.0f generated tokens/s", throughput.generation) }
        out += " (plus model loading)\n"
        return out
    }
}
