import Adapters
import Distributed
import Foundation
import ModelIO
import Models
import Tokenizers
import Training

/// Everything a fine-tuning run is told.
public struct FineTuneRequest: Sendable, Equatable {
    public var model: URL
    public var data: DataOptions
    public var adapter: AdapterSettings
    public var trainer: TrainerSettings
    /// Epochs instead of `trainer.iterations` (when set, iterations follow from the data).
    public var epochs: Double?
    /// Validation (loss and a head's metrics) after every epoch instead of every
    /// `trainer.stepsPerEval` steps, as `eval_strategy="epoch"` does in Transformers.
    public var evaluateEachEpoch = false
    /// Tokens per example after truncation.
    public var maxSequenceLength: Int
    /// The run's folder: final adapter, metrics.jsonl, checkpoints.
    public var output: URL
    /// A checkpoint folder or a run folder to continue from.
    public var resume: URL?
    /// `chatml`, `llama3`, `none`, or nil for the model's own template (`data.promptFormat`).
    public var chatTemplate: String? {
        get { data.promptFormat }
        set { data.promptFormat = newValue }
    }
    /// LoRA-SB's η_eff: the paper's formula, the authors' code's step count, or a given value.
    public var initLearningRate: InitLearningRate
    /// Decoders: keep only each block's input in forward and recompute the block in backward
    /// (the same gradients; less memory for one more forward per step).
    public var gradientCheckpointing = false
    /// What the frozen weights' products compute in (`bf16` needs AVX-512 BF16).
    public var precision: ComputePrecision = .fp32
    /// Whether to measure the base model's validation loss before the adapter is attached.
    public var evaluateBase: Bool
    /// Flag → value, recorded in the adapter's manifest.
    public var commandLine: [String: String]

    public typealias InitLearningRate = Adapters.InitLearningRate

    public init(model: URL, data: DataOptions, adapter: AdapterSettings, trainer: TrainerSettings,
                epochs: Double? = nil, maxSequenceLength: Int = 512, output: URL, resume: URL? = nil,
                chatTemplate: String? = nil, initLearningRate: InitLearningRate = .formula,
                evaluateBase: Bool = true, commandLine: [String: String] = [:]) {
        self.model = model
        self.data = data
        self.adapter = adapter
        self.trainer = trainer
        self.epochs = epochs
        self.maxSequenceLength = maxSequenceLength
        self.output = output
        self.resume = resume
        if let chatTemplate { self.data.promptFormat = chatTemplate }
        self.initLearningRate = initLearningRate
        self.evaluateBase = evaluateBase
        self.commandLine = commandLine
    }
}

/// What a run measured.
public struct FineTuneResult: Sendable {
    public var outcome: TrainingOutcome
    public var trainableParameters: Int
    public var totalParameters: Int
    public var baseValidationLoss: Double?
    /// After the initialisation, before the first step (LoRA-SB folds the first step in).
    public var initValidationLoss: Double?
    public var finalValidationLoss: Double?
    /// Classification: the head's metrics on the validation split after training (a regression:
    /// Pearson, then Spearman).
    public var finalMetrics: [(String, Double)]
    public var initialisation: InitializationReport?
    public var truncation: TruncationReport
    /// What truncation did to the validation examples.
    public var validationTruncation = TruncationReport()
    public var trainingSeconds: Double
}

/// Fine-tunes a model end to end, stage by stage: read the data (`TrainingData`), open the
/// model once (`ModelOpening`), plan the steps (`TrainingPlan`), measure the base model, attach
/// and initialise the adapter (`AdapterAttachment`), train, and score the head (`HeadScores`).
/// Messages go to `say`.
public final class FineTuneJob {
    public let request: FineTuneRequest
    let opener: ModelOpening
    let say: (String) -> Void
    /// The processes of an `mpirun` launch (one otherwise); rank 0 alone writes and reports.
    let communicator: any Communicator
    /// The model with the adapter it trained, after a finished `run` (nil before, and after an
    /// interrupted one): an evaluation right after training scores it as it is in memory, on
    /// every process alike, without reading the folder only rank 0 writes.
    public private(set) var trained: AdaptedModel?
    /// Called before the first step (0) and after every step, with the run's step count and
    /// the adapters being trained (the trainer's `onStep`).
    public var onStep: ((_ step: Int, _ total: Int, _ adapters: AdapterSet) throws -> Void)?

    /// `opener` hands out the model's files; share one with later stages (an evaluation of the
    /// trained adapter) so the run opens them once.
    public init(_ request: FineTuneRequest, opener: ModelOpening = ModelOpener(),
                communicator: any Communicator = SingleProcess(), say: @escaping (String) -> Void) {
        self.request = request
        self.opener = opener
        self.communicator = communicator
        self.say = communicator.isRoot ? say : { _ in }
    }

    public func run(progress: ProgressPrinter?, interrupt: InterruptMonitor?) throws -> FineTuneResult {
        let r = request
        try validate()
        try InputAgreement.check([r.model, r.data.path], on: communicator)
        if communicator.isRoot { try TrainingCheckpoint.createFolder(r.output) }
        if communicator.isDistributed { say("data-parallel: \(communicator.worldSize) processes share every batch of \(r.trainer.batchSize)") }

        // The model's form decides how the data is read; an encoder's head size comes from it.
        let files = try opener.files(at: r.model)
        let data = try TrainingData.load(r.data, family: files.config.family)
        let model = try LoadedModel(files: files, labelCount: data.layout?.headOutputs, seed: r.adapter.seed)
        try model.network.use(r.precision)
        try model.useGradientCheckpointing(r.gradientCheckpointing)
        if r.gradientCheckpointing { say("gradient checkpointing: each block is recomputed in backward") }
        let encoded = try data.encoded(with: model.tokenizer, maxSequenceLength: r.maxSequenceLength)
        say("data: \(encoded.train.count) training examples, \(encoded.validation.count) validation (\(data.validationName)); \(encoded.truncation.truncatedExamples) truncated to \(r.maxSequenceLength) tokens (\(encoded.truncation.removedTokens) tokens cut), \(encoded.truncation.droppedExamples) dropped")
        let cut = encoded.validationTruncation
        if cut.truncatedExamples > 0 {
            say("validation: \(cut.truncatedExamples) examples longer than \(r.maxSequenceLength) tokens (the longest \(cut.longestExample)) cut to it, \(cut.droppedExamples) of them dropped (no answer token left)")
        }
        guard !encoded.train.isEmpty else { throw TrainingStopped(description: "no training example is left after truncation") }

        let plan = try TrainingPlan(r, data: encoded, padTokenID: model.padTokenID)
        if plan.evaluationBatches.isEmpty { say("no validation data: validation loss is not measured") }
        var baseLoss: Double?
        if r.evaluateBase, r.resume == nil, !plan.evaluationBatches.isEmpty {
            baseLoss = try Trainer.meanLoss(of: model.network, over: plan.evaluationBatches, communicator: communicator)
            say("base model: validation loss \(fmt(baseLoss))")
        }

        let attachment = try AdapterAttachment(r, model: model, train: encoded.train, plan: plan,
                                               layout: data.layout, communicator: communicator, say: say)
        let log = communicator.isRoot
            ? try MetricsLogger(url: r.output.appendingPathComponent("metrics.jsonl"), append: r.resume != nil) : nil
        let loop = try Trainer(model: model.network, adapters: attachment.adapters, manifest: attachment.manifest,
                               settings: plan.trainer, loader: plan.loader, validation: plan.validationBatches,
                               output: r.output, log: log, progress: communicator.isRoot ? progress : nil,
                               communicator: communicator)
        if let layout = data.layout, !encoded.validation.isEmpty {
            // A head's loss says little about what it is scored on: its metrics (accuracy, MCC,
            // F1; a regression's Pearson and Spearman) with every validation, so the log holds
            // every evaluation's metrics and the best one can be reported beside the last. One
            // forward over the validation batches gives both.
            loop.validator = { [communicator] in
                try HeadScores.validation(model, encoded.validation, batches: plan.validationBatches,
                                          lossBatches: plan.evaluationBatches.count, layout: layout,
                                          communicator: communicator)
            }
        }
        if let checkpoint = attachment.checkpoint { try loop.restore(checkpoint) }
        if let onStep { loop.onStep = { try onStep($0, plan.trainer.iterations, attachment.adapters) } }

        // The trainer measures validation loss before its first step (after the
        // initialisation) and after its last.
        let outcome = try loop.run(interrupt: interrupt)
        let initLoss = r.resume == nil ? loop.validationHistory.first { $0.step == 0 }?.loss : nil
        var finalLoss: Double?
        var metrics: [(String, Double)] = []
        if case .finished = outcome {
            finalLoss = loop.validationHistory.last?.loss
            // The trainer's last validation scored the final weights.
            if let last = loop.validationHistory.last, last.step == loop.state.step, !last.metrics.isEmpty {
                metrics = last.metrics.map { ($0.name, $0.value) }
                try log?.log([("step", MetricValue.integer(loop.state.step))] + metrics.map { ($0.0, MetricValue.number($0.1)) })
            }
            say("saved the adapter to \(r.output.path)")
            trained = AdaptedModel(model: model, adapters: attachment.adapters, manifest: attachment.manifest)
        }
        return FineTuneResult(outcome: outcome, trainableParameters: attachment.adapters.trainableParameterCount,
                              totalParameters: model.parameterCount,
                              baseValidationLoss: baseLoss, initValidationLoss: initLoss,
                              finalValidationLoss: finalLoss, finalMetrics: metrics, initialisation: attachment.report,
                              truncation: encoded.truncation, validationTruncation: encoded.validationTruncation,
                              trainingSeconds: loop.state.trainingSeconds)
    }

    /// Refuses settings no stage could run with, before anything is read.
    func validate() throws {
        try request.trainer.validate()
        try request.adapter.validate()
        guard request.maxSequenceLength >= 2 else {
            throw SettingError("maxSequenceLength", "must be at least 2, got \(request.maxSequenceLength)")
        }
        guard request.precision != .q8 else {
            throw SettingError("precision", "q8 is for inference (generate, eval); training multiplies in fp32 or bf16")
        }
    }

    private func fmt(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
}
