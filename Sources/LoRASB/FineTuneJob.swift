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
    /// Tokens per example after truncation.
    public var maxSequenceLength: Int
    /// The run's folder: final adapter, metrics.jsonl, checkpoints.
    public var output: URL
    /// A checkpoint folder or a run folder to continue from.
    public var resume: URL?
    /// `chatml`, `llama3`, `none`, or nil for the model's own template.
    public var chatTemplate: String?
    /// LoRA-SB's η_eff: the paper's formula, the authors' code's step count, or a given value.
    public var initLearningRate: InitLearningRate
    /// What the frozen weights' products compute in (`bf16` needs AVX-512 BF16).
    public var precision: ComputePrecision = .fp32
    /// Decoders: keep only each block's input in forward and recompute the block in backward
    /// (the same gradients; less memory for one more forward per step).
    public var gradientCheckpointing = false
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
        self.chatTemplate = chatTemplate
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
    /// Classification: the metrics on the validation split, base (untrained head) and final.
    public var finalMetrics: [(String, Double)]
    public var initialisation: InitializationReport?
    public var truncation: TruncationReport
    /// What truncation did to the validation examples.
    public var validationTruncation = TruncationReport()
    public var trainingSeconds: Double
}

/// Fine-tunes a model end to end: opens model and data, tokenises, attaches and initialises the
/// adapter (LoRA-SB by default), trains, evaluates and saves. Messages go to `say`.
public final class FineTuneJob {
    public let request: FineTuneRequest
    let say: (String) -> Void
    /// The processes of an `mpirun` launch (one otherwise); rank 0 alone writes and reports.
    let communicator: any Communicator

    public init(_ request: FineTuneRequest, communicator: any Communicator = SingleProcess(),
                say: @escaping (String) -> Void) {
        self.request = request
        self.communicator = communicator
        self.say = communicator.isRoot ? say : { _ in }
    }

    public func run(progress: ProgressPrinter?, interrupt: InterruptMonitor?) throws -> FineTuneResult {
        let r = request
        try r.trainer.validate()
        try r.adapter.validate()
        guard r.maxSequenceLength >= 2 else {
            throw SettingError("maxSequenceLength", "must be at least 2, got \(r.maxSequenceLength)")
        }
        try InputAgreement.check([r.model, r.data.path], on: communicator)
        if communicator.isRoot { try TrainingCheckpoint.createFolder(r.output) }
        if communicator.isDistributed { say("data-parallel: \(communicator.worldSize) processes share every batch of \(r.trainer.batchSize)") }

        // Data first: an encoder's head size comes from the label set.
        let prepared = try prepareData()
        let model = try LoadedModel(r.model, labelCount: prepared.labels?.count, seed: r.adapter.seed)
        try model.network.use(r.precision)
        try model.useGradientCheckpointing(r.gradientCheckpointing)
        if r.gradientCheckpointing { say("gradient checkpointing: each block is recomputed in backward") }
        let encoded = try encode(prepared, with: model)
        say("data: \(encoded.train.count) training examples, \(encoded.validation.count) validation (\(prepared.validationName)); \(encoded.truncation.truncatedExamples) truncated to \(r.maxSequenceLength) tokens (\(encoded.truncation.removedTokens) tokens cut), \(encoded.truncation.droppedExamples) dropped")
        let cut = encoded.validationTruncation
        if cut.truncatedExamples > 0 {
            say("validation: \(cut.truncatedExamples) examples longer than \(r.maxSequenceLength) tokens (the longest \(cut.longestExample)) cut to it, \(cut.droppedExamples) of them dropped (no answer token left)")
        }
        guard !encoded.train.isEmpty else { throw TrainingStopped(description: "no training example is left after truncation") }

        var trainer = r.trainer
        let loader = try BatchLoader(examples: encoded.train, batchSize: trainer.batchSize,
                                     padTokenID: model.padTokenID, seed: trainer.seed)
        if let epochs = r.epochs {
            trainer.iterations = max(1, Int((Double(loader.batchesPerEpoch) * epochs / Double(trainer.gradientAccumulation)).rounded(.up)))
        }
        let validationBatches = try BatchLoader.evaluationBatches(encoded.validation, batchSize: trainer.batchSize,
                                                                  padTokenID: model.padTokenID)
        let evalBatches = trainer.validationBatches > 0 ? Array(validationBatches.prefix(trainer.validationBatches)) : validationBatches
        if evalBatches.isEmpty { say("no validation data: validation loss is not measured") }

        var baseLoss: Double?
        if r.evaluateBase, r.resume == nil, !evalBatches.isEmpty {
            baseLoss = try Trainer.meanLoss(of: model.network, over: evalBatches, communicator: communicator)
            say("base model: validation loss \(fmt(baseLoss))")
        }

        // The adapter: from a checkpoint, or freshly initialised.
        let adapters: AdapterSet
        var report: InitializationReport?
        var checkpoint: URL?
        var eta: Double?
        if let resume = r.resume {
            let folder = try TrainingCheckpoint.locate(resume)
            (adapters, _) = try AdapterFolder.load(folder, onto: model.network, identity: model.identity)
            checkpoint = folder
            say("resuming from \(folder.path)")
        } else {
            let train = encoded.train
            let pad = model.padTokenID
            let context = InitializationContext(
                samples: .training(count: train.count) { indices in
                    try BatchLoader.evaluationBatches(indices.map { train[$0] }, batchSize: trainer.batchSize,
                                                      padTokenID: pad).map(TrainingBatch.init)
                },
                learningRate: r.initLearningRate,
                schedule: RunSchedule(learningRate: trainer.learningRate, warmupRatio: trainer.warmupRatio,
                                      totalSteps: trainer.iterations,
                                      epochs: r.epochs ?? Double(trainer.iterations * trainer.batchSize * trainer.gradientAccumulation) / Double(train.count)),
                communicator: communicator)
            (adapters, report) = try AdapterFactory.attach(r.adapter, to: model.network, context: context)
            eta = report?.effectiveLearningRate
            if let report {
                let passes = report.passes > 1 ? " in \(report.passes) passes within the memory budget" : ""
                let eta = report.effectiveLearningRate.map { ", η_eff = \(String(format: "%.3g", $0))" } ?? ""
                say("\(r.adapter.method.displayName) initialisation: gradients of \(report.samples) samples\(passes)\(eta)")
                say(String(format: "initialised %d targets in %.1f s (gradients %.1f s, SVD %.1f s); energy kept on average: %.1f%%",
                           report.energyKept.count, report.gradientSeconds + report.svdSeconds,
                           report.gradientSeconds, report.svdSeconds, 100 * report.meanEnergyKept) + " (\(report.decomposed))")
            }
        }
        // Attaching may have made weights trainable (full fine-tuning): those compute in fp32.
        try model.network.use(r.precision)
        let total = model.files.parameterCount
        let trainable = adapters.trainableParameterCount
        say("trainable params: \(trainable.formatted()) || all params: \(total.formatted()) || trainable%: \(String(format: "%.4f", 100 * Double(trainable) / Double(total)))")

        let manifest = AdapterManifest(settings: r.adapter, modules: adapters.entries.map(\.target.modulePath),
                                       baseModel: model.identity, task: model.task.rawValue,
                                       labels: prepared.labels?.labels, trainableParameters: trainable,
                                       effectiveLearningRate: eta, training: r.commandLine)
        let log = communicator.isRoot
            ? try MetricsLogger(url: r.output.appendingPathComponent("metrics.jsonl"), append: r.resume != nil) : nil
        let loop = try Trainer(model: model.network, adapters: adapters, manifest: manifest, settings: trainer,
                               loader: loader, validation: validationBatches, output: r.output,
                               log: log, progress: communicator.isRoot ? progress : nil,
                               communicator: communicator)
        if let checkpoint { try loop.restore(checkpoint) }

        // The trainer measures validation loss before its first step (after the
        // initialisation) and after its last.
        let outcome = try loop.run(interrupt: interrupt)
        let initLoss = r.resume == nil ? loop.validationHistory.first { $0.step == 0 }?.loss : nil
        var finalLoss: Double?
        var metrics: [(String, Double)] = []
        if case .finished = outcome {
            finalLoss = loop.validationHistory.last?.loss
            if model.task == .sequenceClassification, let labels = prepared.labels, !encoded.validation.isEmpty {
                let predicted = try Evaluation.predictions(model, encoded.validation, batchSize: trainer.batchSize)
                let references = encoded.validation.map { $0.label ?? -1 }
                let task = prepared.glueTask
                let positive = task?.positiveClass(in: labels)
                for (m, v) in Evaluation.classificationScores(predictions: predicted, references: references,
                                                              metrics: task?.metrics ?? [.accuracy, .f1, .matthewsCorrelation],
                                                              positive: positive) {
                    metrics.append((m.rawValue, v))
                }
                try log?.log([("step", MetricValue.integer(loop.state.step))] + metrics.map { ($0.0, MetricValue.number($0.1)) })
            }
            say("saved the adapter to \(r.output.path)")
        }
        return FineTuneResult(outcome: outcome, trainableParameters: trainable, totalParameters: total,
                              baseValidationLoss: baseLoss, initValidationLoss: initLoss,
                              finalValidationLoss: finalLoss, finalMetrics: metrics, initialisation: report,
                              truncation: encoded.truncation, validationTruncation: encoded.validationTruncation,
                              trainingSeconds: loop.state.trainingSeconds)
    }

    // MARK: data

    struct PreparedData {
        var languageModeling: (train: [LanguageModelingExample], validation: [LanguageModelingExample])?
        var classification: (train: ClassificationDataset, validation: ClassificationDataset?)?
        var labels: LabelVocabulary?
        var glueTask: GLUETask?
        var validationName: String
        /// The task family the decoder data is of, whose prompt template it is rendered with.
        var taskFamily: (any TaskFamily)?
    }

    /// Reads the data in the form the model's family needs (decided from its config alone).
    func prepareData() throws -> PreparedData {
        let config = try ModelFiles(url: request.model).config
        if config.family == .llama {
            if let family = try TaskFamilies.resolve(request.data) {
                let t = try family.trainingData(request.data)
                return PreparedData(languageModeling: (t.train, t.validation), validationName: t.validationName,
                                    taskFamily: family)
            }
            let s = try request.data.languageModelingSplits()
            return PreparedData(languageModeling: (s.train, s.validation), validationName: s.validationName)
        }
        let s = try request.data.classificationSplits()
        return PreparedData(classification: (s.train, s.validation), labels: s.train.labelVocabulary,
                            glueTask: s.task, validationName: s.validation?.path ?? "none")
    }

    struct EncodedData {
        var train: [TokenizedExample]
        var validation: [TokenizedExample]
        var truncation: TruncationReport
        var validationTruncation = TruncationReport()
    }

    func encode(_ data: PreparedData, with model: LoadedModel) throws -> EncodedData {
        let limit = request.maxSequenceLength
        if let lm = data.languageModeling {
            let format = try PromptFormat(tokenizer: model.tokenizer, override: request.chatTemplate ?? data.taskFamily?.chatTemplate)
            let truncation = try SequenceTruncation(maxLength: limit)
            let train = truncation.apply(try lm.train.map(format.encode))
            let validation = truncation.apply(try lm.validation.map(format.encode))
            return EncodedData(train: train.examples, validation: validation.examples, truncation: train.report,
                               validationTruncation: validation.report)
        }
        guard let c = data.classification, let labels = data.labels else {
            throw TrainingStopped(description: "no data")
        }
        let (train, cut) = try c.train.encoded(with: model.tokenizer, labels: labels.labels, maxLength: limit)
        let validation = try c.validation.map { try $0.encoded(with: model.tokenizer, labels: labels.labels, maxLength: limit).examples } ?? []
        var report = TruncationReport()
        report.truncatedExamples = cut
        return EncodedData(train: train, validation: validation, truncation: report)
    }

    private func fmt(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
}
