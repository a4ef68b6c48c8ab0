import Adapters
import Distributed
import Foundation
import NN
import Tensor

/// Why a run stopped early.
public struct TrainingStopped: Error, CustomStringConvertible {
    public let description: String
    /// Settings worth changing before trying again, under their Swift names (`learningRate`).
    public let settings: [String]
    public init(description: String, settings: [String] = []) {
        self.description = description
        self.settings = settings
    }
}

/// How a run ended.
public enum TrainingOutcome: Sendable, Equatable {
    /// Every step ran; the final adapter is saved.
    case finished(step: Int)
    /// Ctrl-C: the step in progress finished and a checkpoint was saved.
    case interrupted(step: Int, checkpoint: String)
}

/// The training loop: forward, loss, backward (only what trains), gradient accumulation and
/// clipping, AdamW under a warm-up schedule, validation loss, a progress line and a JSONL log of
/// every step, atomic checkpoints, bit-for-bit resume, Ctrl-C that saves before exiting, and a
/// stop with a clear message at the first non-finite loss or gradient.
public final class Trainer {
    public let model: TrainableModel
    public let adapters: AdapterSet
    public let manifest: AdapterManifest
    public let settings: TrainerSettings
    /// The run's folder: the final adapter, `metrics.jsonl`, `checkpoints/`.
    public let output: URL
    public private(set) var state: TrainerState
    /// Every validation measured by this session's `run`: its step, loss and metrics.
    public private(set) var validationHistory: [(step: Int, loss: Double, metrics: [(name: String, value: Double)])] = []
    /// A validation that measures more than the loss (a head's accuracy, MCC or correlations,
    /// logged and shown beside it), replacing `validationLoss()`: it must measure the loss as
    /// that does, and can take it from the same forward as the metrics. Nil: the loss alone.
    public var validator: (() throws -> (loss: Double, metrics: [(name: String, value: Double)]))?
    /// Called with the step count before the first step of a fresh run (0) and after every
    /// optimizer step: a view of the weights as training moves them (the subspace experiment).
    public var onStep: ((_ step: Int) throws -> Void)?

    private var loader: BatchLoader
    private let validation: [Batch]
    private let optimizer: AdamW
    private let parameters: [TrainableParameter]
    private let schedule: LearningRateSchedule
    private let log: MetricsLogger?
    private let progress: ProgressPrinter?
    private var lastCheckpoint: String?
    /// The processes sharing each step (`mpirun`); only rank 0 writes files.
    private let communicator: any Communicator
    private var parallel: DataParallelStep

    public init(model: TrainableModel, adapters: AdapterSet, manifest: AdapterManifest,
                settings: TrainerSettings, loader: BatchLoader, validation: [Batch],
                output: URL, log: MetricsLogger?, progress: ProgressPrinter?,
                communicator: any Communicator = SingleProcess()) throws {
        try settings.validate()
        self.model = model
        self.adapters = adapters
        self.manifest = manifest
        self.settings = settings
        self.loader = loader
        self.validation = validation
        self.output = output
        self.log = log
        self.progress = progress
        self.communicator = communicator
        parallel = DataParallelStep(communicator)
        schedule = try settings.schedule()
        parameters = adapters.trainableParameters.map { name, p in
            TrainableParameter(name: name, value: p.value, gradient: p.gradientForAccumulation())
        }
        optimizer = try AdamW(parameters: parameters, weightDecay: settings.weightDecay)
        state = TrainerState(step: 0, sampler: loader.state, tokensSeen: 0, trainingSeconds: 0,
                             settings: settings)
    }

    /// Continues from a checkpoint folder (the adapter must already be loaded from it).
    public func restore(_ checkpoint: URL) throws {
        let (saved, moments) = try TrainingCheckpoint.load(checkpoint)
        guard saved.settings == settings else {
            throw TrainingStopped(description: "\(checkpoint.path) was saved by a run with other settings; resume with the same flags")
        }
        try optimizer.restore(moments)
        try loader.restore(saved.sampler)
        state = saved
        lastCheckpoint = checkpoint.path
    }

    /// Trains until `settings.iterations` steps are done or `interrupt` fires.
    public func run(interrupt: InterruptMonitor? = nil) throws -> TrainingOutcome {
        let sessionStart = Date()
        let startStep = state.step
        let startSeconds = state.trainingSeconds
        if state.step == 0 {
            if !validation.isEmpty { try logValidation() }
            try onStep?(0)
        }
        var windowLoss = LossAverage()
        var windowTokens = 0
        var windowStart = Date()
        while state.step < settings.iterations {
            for p in parameters { p.gradient.zero() }
            var stepLoss = 0.0
            var stepTokens = 0
            for micro in 0..<settings.gradientAccumulation {
                let (_, batch) = loader.next()
                let loss = try parallel.accumulate(batch, from: loader, model: model, parameters: parameters,
                                                   gradientIsZero: micro == 0)
                guard loss.isFinite else { throw nonFinite("loss is \(loss)") }
                stepLoss += loss
                stepTokens += batch.tokenCount
            }
            let allReduced = try parallel.reduce(parameters)
            let agreed = try parallel.agree(loss: stepLoss, interrupted: interrupt?.isInterrupted == true)
            stepLoss = agreed.loss
            let micro = Float(settings.gradientAccumulation)
            if micro > 1 { for p in parameters { Elementwise.scale(p.gradient, by: 1 / micro, into: p.gradient) } }
            adapters.adjustGradients()
            let gradients = parameters.map(\.gradient)
            let norm = settings.maxGradNorm > 0
                ? GradientClipping.clip(gradients, maxNorm: settings.maxGradNorm)
                : GradientClipping.globalNorm(gradients)
            guard norm.isFinite else { throw nonFinite("gradient norm is \(norm)") }
            let lr = schedule.learningRate(atStep: state.step)
            optimizer.step(learningRate: lr)
            state.step += 1
            state.tokensSeen += stepTokens
            state.trainingSeconds = startSeconds + Date().timeIntervalSince(sessionStart)
            state.sampler = loader.state
            try onStep?(state.step)
            let meanLoss = stepLoss / Double(settings.gradientAccumulation)
            windowLoss.add(meanLoss: meanLoss, count: 1)
            windowTokens += stepTokens

            if state.step % settings.stepsPerReport == 0 || state.step == settings.iterations {
                let seconds = Date().timeIntervalSince(windowStart)
                let rate = seconds > 0 ? Double(windowTokens) / seconds : nil
                var record: [(String, MetricValue)] = [
                    ("step", .integer(state.step)), ("loss", .number(windowLoss.mean)),
                    ("learning_rate", .number(lr)), ("grad_norm", .number(norm)),
                    ("tokens_per_second", .number(rate ?? .nan)), ("tokens", .integer(state.tokensSeen)),
                    ("seconds", .number(state.trainingSeconds))]
                if communicator.isDistributed {
                    record += [("world_size", .integer(communicator.worldSize)), ("allreduce_bytes", .integer(allReduced))]
                }
                try log?.log(record)
                var shown = TrainingProgress(step: state.step, totalSteps: settings.iterations,
                                             loss: windowLoss.mean, learningRate: lr, tokensPerSecond: rate,
                                             elapsed: Date().timeIntervalSince(sessionStart), startStep: startStep)
                shown.worldSize = communicator.worldSize
                shown.allReducedBytes = allReduced
                progress?.update(shown.line)
                windowLoss = LossAverage()
                windowTokens = 0
                windowStart = Date()
            }
            if settings.stepsPerEval > 0, state.step % settings.stepsPerEval == 0,
               state.step < settings.iterations, !validation.isEmpty {
                try logValidation()
                windowStart = Date()   // the rate counts training only
            }
            if agreed.interrupted {
                let folder = try saveCheckpoint()
                progress?.message("interrupted: saved a checkpoint of step \(state.step) to \(folder.path); continue by resuming from \(output.path)")
                return .interrupted(step: state.step, checkpoint: folder.path)
            }
            if settings.saveEvery > 0, state.step % settings.saveEvery == 0, state.step < settings.iterations {
                try saveCheckpoint()
            }
        }
        if !validation.isEmpty { try logValidation() }
        try saveCheckpoint()
        if communicator.isRoot { try AdapterFolder.save(adapters, manifest: manifest, to: output) }
        progress?.finish()
        return .finished(step: state.step)
    }

    /// The mean validation loss over `settings.validationBatches` batches (all when ≤ 0),
    /// weighted by each batch's targets.
    public func validationLoss() throws -> Double {
        let batches = settings.validationBatches > 0 ? Array(validation.prefix(settings.validationBatches)) : validation
        return try Trainer.meanLoss(of: model, over: batches, communicator: communicator)
    }

    /// The target-weighted mean loss of `model` over `batches` (no backward); the processes of
    /// `communicator` each take a contiguous share of the batches and sum what they measured.
    public static func meanLoss(of model: TrainableModel, over batches: [Batch],
                                communicator: any Communicator = SingleProcess()) throws -> Double {
        var average = LossAverage()
        for b in batches[communicator.share(of: batches.count)] {
            let loss = try model.loss(try TrainingBatch(b), backward: false)
            average.add(meanLoss: Double(loss), count: b.targetCount)
        }
        guard communicator.isDistributed else { return average.mean }
        let sums = try communicator.allReduceSum([average.total, Double(average.count)])
        return sums[1] > 0 ? sums[0] / sums[1] : .nan
    }

    private func logValidation() throws {
        let started = Date()
        let (loss, metrics) = try validator?() ?? (try validationLoss(), [])
        validationHistory.append((state.step, loss, metrics))
        try log?.log([("step", .integer(state.step)), ("validation_loss", .number(loss))]
                     + metrics.map { ($0.name, MetricValue.number($0.value)) }
                     + [("validation_seconds", .number(Date().timeIntervalSince(started)))])
        let shown = metrics.map { ", \($0.name) \(String(format: "%.4f", $0.value))" }.joined()
        progress?.message("step \(state.step): validation loss \(String(format: "%.4f", loss))\(shown)")
    }

    /// Rank 0 writes the checkpoint; the others wait for it, so a checkpoint named by `latest`
    /// is complete whichever process fails next.
    @discardableResult
    private func saveCheckpoint() throws -> URL {
        guard communicator.isRoot else {
            try communicator.barrier()
            return TrainingCheckpoint.folder(run: output, step: state.step)
        }
        defer { try? communicator.barrier() }
        let folder = try TrainingCheckpoint.save(run: output, adapters: adapters, manifest: manifest,
                                                 optimizer: optimizer.state(), state: state)
        lastCheckpoint = folder.path
        return folder
    }

    private func nonFinite(_ what: String) -> TrainingStopped {
        let kept = lastCheckpoint.map { "the last good checkpoint is \($0)" } ?? "no checkpoint was saved yet"
        return TrainingStopped(description: "training stopped at step \(state.step + 1): the \(what); \(kept). Try a lower learningRate or maxGradNorm.",
                               settings: ["learningRate", "maxGradNorm"])
    }
}
