import Distributed
import Foundation
import ModelIO
import Training

/// What a suite run did.
public struct ExperimentOutcome: Sendable {
    /// The finished runs the table shows (this time or before), in the suite's order.
    public var records: [ExperimentRecord]
    /// Run ids trained now, and those skipped because a finished run was found.
    public var ran: [String]
    public var skipped: [String]
    /// Ctrl-C stopped the suite; the report covers what finished.
    public var interrupted: Bool
    public var table: URL
    public var plot: URL
}

/// Runs a suite: every run (`ExperimentSuite+Runs`) through `FineTuneJob` (and `EvaluationJob`
/// for its accuracies) into its own run folder, skipping runs whose folder already holds a
/// finished record with the same settings, then writes the results table and the loss plot.
///
/// Under `mpirun` every run trains data-parallel and its accuracies are evaluated split across
/// the processes; rank 0 alone reads and writes the results folder (records, table, plot) and
/// tells the others which runs are finished, so every process runs the same runs in the same
/// order whatever files it sees.
///
/// Layout under `output`: `<suite>.md`, `<suite>-loss.svg`, `runs/<suite>/<run id>/`
/// (smoke scale: `<suite>-smoke…`, so a smoke run never stands in for a full one).
public final class ExperimentRunner {
    public let suite: ExperimentSuite
    public let output: URL
    /// How the suite was started, quoted in the results file.
    public let command: String
    let say: (String) -> Void
    let progress: ProgressPrinter?
    let interrupt: InterruptMonitor?
    /// The processes of an `mpirun` launch (one otherwise).
    let communicator: any Communicator
    /// Every run's `FineTuneRequest.gradientCheckpointing` (nil: the request's default). The
    /// results do not depend on it, so finished runs made either way count as finished.
    public var gradientCheckpointing: Bool?

    public init(suite: ExperimentSuite, output: URL, command: String? = nil, say: @escaping (String) -> Void,
                progress: ProgressPrinter? = nil, interrupt: InterruptMonitor? = nil,
                communicator: any Communicator = SingleProcess()) {
        self.suite = suite
        self.output = output
        self.command = command ?? "lorasb experiment --suite \(suite.name.rawValue) --scale \(suite.scale.rawValue)"
        self.say = communicator.isRoot ? say : { _ in }
        self.progress = communicator.isRoot ? progress : nil
        self.interrupt = interrupt
        self.communicator = communicator
    }

    /// `decoder` or `decoder-smoke`.
    public var baseName: String {
        suite.scale == .full ? suite.name.rawValue : "\(suite.name.rawValue)-\(suite.scale.rawValue)"
    }
    public var runsFolder: URL { output.appendingPathComponent("runs").appendingPathComponent(baseName) }
    public var tableURL: URL { output.appendingPathComponent("\(baseName).md") }
    public var plotURL: URL { output.appendingPathComponent("\(baseName)-loss.svg") }
    /// Suites that track the subspace: the cosines over training.
    public var subspacePlotURL: URL { output.appendingPathComponent("\(baseName)-cosine.svg") }
    public func runFolder(_ run: ExperimentRun) -> URL { runsFolder.appendingPathComponent(run.id) }

    /// Every setting a run depends on, as text.
    public func spec(_ run: ExperimentRun) -> [String: String] {
        let c = run.configuration
        var s: [String: String] = [
            "format": "2",
            "model": suite.model.standardizedFileURL.path,
            "task": c.task,
            "method": c.method.rawValue,
            "rank": String(c.rank),
            "learning_rate": String(run.learningRate),
            "init_samples": String(c.initSamples),
            "init_gradient": c.initGradient.rawValue,
            "init_basis": c.initBasis.rawValue,
            "init_noise": String(c.initNoise),
            "init_split": c.initSplit.rawValue,
            "targets": suite.targets.joined(separator: ","),
            "steps": String(suite.steps),
            "batch_size": String(suite.batchSize),
            "warmup_ratio": String(suite.warmupRatio),
            "max_seq_len": String(suite.maxSequenceLength),
            "seed": String(run.seed),
            "steps_per_eval": String(suite.stepsPerEval),
        ]
        // Written only when they differ from what earlier records were made with, so those
        // records stay finished.
        if let epochs = suite.epochs { s["epochs"] = String(epochs) }
        if suite.decay != .cosine { s["lr_schedule"] = suite.decay.rawValue }
        if suite.evaluateEachEpoch { s["steps_per_eval"] = "epoch" }
        if suite.initLearningRate != .formula { s["init_lr"] = suite.initLearningRate.description }
        if suite.evaluationPrecision != .fp32 { s["evaluation_precision"] = suite.evaluationPrecision.rawValue }
        if let task = suite.task(c.task) {
            s["data"] = task.data.path.standardizedFileURL.path
            s["train_examples"] = task.data.maxTrainExamples.map(String.init) ?? "all"
            s["val_examples"] = task.data.maxValidationExamples.map(String.init) ?? "all"
        }
        for a in suite.accuracies { s[a.name] = a.spec }
        return s
    }

    /// The finished record of `run`, if its folder holds one made with the current settings.
    public func finishedRecord(_ run: ExperimentRun) throws -> ExperimentRecord? {
        try finishedRecords([run])[run.id]
    }

    /// The finished records of `runs`, by run id, as rank 0 reads them (every process calls
    /// this alike and gets rank 0's answer).
    func finishedRecords(_ runs: [ExperimentRun]) throws -> [String: ExperimentRecord] {
        try communicator.rootValue {
            var out: [String: ExperimentRecord] = [:]
            for run in runs {
                if let record = try ExperimentRecord.load(from: runFolder(run)), record.spec == spec(run), record.run == run {
                    out[run.id] = record
                }
            }
            return out
        }
    }

    /// The runs the table shows, at the rates chosen so far (a configuration whose tuning is
    /// unfinished has none yet).
    public func finalRuns() throws -> [ExperimentRun] {
        let tuned = try finishedRecords(suite.tuningRuns)
        return suite.finalRuns { suite.chosenRate($0, finished: tuned) }
    }

    /// Every run the suite will train, at the rates chosen so far (`ExperimentPlan`).
    public func plannedRuns() throws -> [(run: ExperimentRun, rateToBeChosen: Bool)] {
        let tuned = try finishedRecords(suite.tuningRuns)
        return suite.plannedRuns { suite.chosenRate($0, finished: tuned) }
    }

    /// Runs what is not finished yet (the tuning runs of a grid first, then every seed at the
    /// chosen rates), then writes the table and the plot. Each run's record is saved as soon as
    /// it finishes, so an interrupted suite continues with the runs not yet done.
    public func run() throws -> ExperimentOutcome {
        if communicator.isRoot { try Self.createFolder(runsFolder) }
        var ran: [String] = []
        var skipped: [String] = []
        var interrupted = !(try execute(suite.tuningRuns, phase: "tuning", ran: &ran, skipped: &skipped))
        if !interrupted {
            let tuned = Set(suite.tuningRuns.map(\.id))
            interrupted = !(try execute(try finalRuns().filter { !tuned.contains($0.id) }, phase: "run",
                                        ran: &ran, skipped: &skipped))
        }
        let records = try writeReport()
        return ExperimentOutcome(records: records, ran: ran, skipped: skipped, interrupted: interrupted,
                                 table: tableURL, plot: plotURL)
    }

    /// Trains the unfinished ones of `runs` in order; false when interrupted.
    func execute(_ runs: [ExperimentRun], phase: String, ran: inout [String], skipped: inout [String]) throws -> Bool {
        for (i, run) in runs.enumerated() {
            let c = run.configuration
            let counter = "[\(phase) \(i + 1)/\(runs.count)]"
            if try finishedRecord(run) != nil {
                skipped.append(run.id)
                say("\(counter) \(run.id): finished earlier, skipped")
                continue
            }
            say("\(counter) \(run.id): \(c.methodName) r=\(c.rank), lr \(ExperimentRun.rateText(run.learningRate)), seed \(run.seed)")
            guard let record = try runOne(run) else { return false }
            ran.append(run.id)
            say(String(format: "%@ %@: validation loss %@, %.1f s training, %.1f s in all", counter, run.id,
                       ExperimentResultsTable.format(record.metrics[ExperimentRecord.validationLoss]),
                       record.trainingSeconds, record.wallSeconds))
            // A Ctrl-C seen by any process stops every one after this run.
            if try communicator.any(interrupt?.isInterrupted == true) { return false }
        }
        return true
    }

    /// Trains and evaluates one run into a fresh run folder; nil when interrupted.
    func runOne(_ run: ExperimentRun) throws -> ExperimentRecord? {
        let c = run.configuration
        guard let task = suite.task(c.task) else {
            throw ExperimentError(c.id, "the suite has no task \(c.task)")
        }
        let folder = runFolder(run)
        if communicator.isRoot, FileManager.default.fileExists(atPath: folder.path) {
            do { try FileManager.default.removeItem(at: folder) } catch {
                throw ExperimentError(folder.path, "cannot remove an unfinished run: \(error.localizedDescription)")
            }
        }
        let started = Date()
        // The base model's loss is the same for every run of a task: measure it in the first
        // configuration's runs of that task.
        let firstOfTask = suite.configurations.first { $0.task == c.task }?.id == c.id
        var request = FineTuneRequest(model: suite.model, data: task.data, adapter: suite.adapterSettings(run),
                                      trainer: suite.trainerSettings(run), epochs: suite.epochs,
                                      maxSequenceLength: suite.maxSequenceLength, output: folder,
                                      evaluateBase: firstOfTask, commandLine: spec(run))
        request.evaluateEachEpoch = suite.evaluateEachEpoch
        request.initLearningRate = suite.initLearningRate
        if let gradientCheckpointing { request.gradientCheckpointing = gradientCheckpointing }
        // Training and the accuracy evaluation share one opening of the model's files.
        let opener = ModelOpener()
        let job = FineTuneJob(request, opener: opener, communicator: communicator, say: say)
        let comparer = try installSubspaceTracking(run, on: job, folder: folder)
        let result = try job.run(progress: progress, interrupt: interrupt)
        guard case .finished = result.outcome, let trained = job.trained else { return nil }

        var metrics: [String: Double] = [:]
        metrics[SubspaceTracking.meanCosine] = comparer?.last?.mean
        metrics[SubspaceTracking.globalCosine] = comparer?.last?.global
        metrics[ExperimentRecord.validationLoss] = result.finalValidationLoss
        metrics[ExperimentRecord.initValidationLoss] = result.initValidationLoss
        metrics[ExperimentRecord.baseValidationLoss] = result.baseValidationLoss
        for (name, value) in result.finalMetrics { metrics[name] = value }

        var evaluationSeconds: Double?
        let evaluationStart = Date()
        for accuracy in suite.accuracies {
            let printer = progress
            var evaluation = accuracy.request(model: suite.model, adapter: folder)
            evaluation.precision = suite.evaluationPrecision
            let evaluated = try EvaluationJob(evaluation, opener: opener,
                                              communicator: communicator, progress: { printer?.update($0) }).run(on: trained)
            progress?.finish()
            for (name, value) in evaluated.values { metrics[accuracy.metric(name)] = value }
            metrics[accuracy.metric("problems")] = Double(evaluated.examples)
            evaluationSeconds = Date().timeIntervalSince(evaluationStart)
        }
        // Rank 0 writes the record from its run folder; every process returns it.
        return try communicator.rootValue {
            let log = try RunMetricsLog.read(folder.appendingPathComponent("metrics.jsonl"))
            var metrics = metrics
            for name in log.validationMetrics.keys {
                if let best = log.best(name) { metrics[ExperimentRecord.best(name)] = best }
            }
            // Optimizer moments are only needed to resume a run mid-way, which the suite never
            // does; for full fine-tuning they are three copies of the model.
            try? FileManager.default.removeItem(at: folder.appendingPathComponent("checkpoints"))
            let initSeconds = result.initialisation.map { $0.gradientSeconds + $0.svdSeconds }
            let record = ExperimentRecord(run: run, spec: spec(run), trainableParameters: result.trainableParameters,
                                          totalParameters: result.totalParameters, metrics: metrics,
                                          initSeconds: initSeconds, trainingSeconds: result.trainingSeconds,
                                          evaluationSeconds: evaluationSeconds,
                                          wallSeconds: Date().timeIntervalSince(started), tokens: log.tokens)
            try record.save(in: folder)
            return record
        }
    }

    /// In a suite that tracks the subspace (rank 0, which writes the files): the full
    /// fine-tuning run records its updates, every other run compares its own with them.
    func installSubspaceTracking(_ run: ExperimentRun, on job: FineTuneJob, folder: URL) throws -> SubspaceTracking.Comparer? {
        guard let interval = suite.subspaceInterval, communicator.isRoot else { return nil }
        let c = run.configuration
        guard SubspaceTracking.methods.contains(c.method) else {
            throw ExperimentError(c.id, "the subspace is tracked only for \(SubspaceTracking.methods.map(\.displayName).sorted().joined(separator: ", ")): \(c.methodName) rewrites the pretrained weight")
        }
        if c.method == .full {
            let recorder = SubspaceTracking.Recorder(run: folder, interval: interval)
            job.onStep = { try recorder(step: $0, total: $1, adapters: $2) }
            return nil
        }
        guard let reference = try finalRuns().first(where: { $0.configuration.task == c.task && $0.configuration.method == .full && $0.seed == run.seed }) else {
            throw ExperimentError(c.id, "the suite has no full fine-tuning run of \(c.task) with seed \(run.seed) to compare with")
        }
        let comparer = SubspaceTracking.Comparer(reference: runFolder(reference), run: folder, interval: interval)
        job.onStep = { try comparer(step: $0, total: $1, adapters: $2) }
        return comparer
    }

    /// Writes the table and plot from the finished run folders (rank 0); returns the records the
    /// table shows (every finished seed at the chosen rates) on every process.
    @discardableResult
    public func writeReport() throws -> [ExperimentRecord] {
        let tuning = try finishedRecords(suite.tuningRuns)
        let final = try finalRuns()
        let finished = try finishedRecords(final)
        let records = final.compactMap { finished[$0.id] }
        guard communicator.isRoot else { return records }
        try Self.createFolder(output)
        // One curve per configuration: its first seed's run.
        var logs: [String: RunMetricsLog] = [:]
        for run in final where run.seed == suite.seed {
            guard finished[run.id] != nil else { continue }
            logs[run.configuration.id] = try RunMetricsLog.read(runFolder(run).appendingPathComponent("metrics.jsonl"))
        }
        let runs = relativePath(runsFolder, from: output)
        let document = ExperimentResultsTable.document(suite, records: records,
                                                       tuning: suite.tuningRuns.compactMap { tuning[$0.id] },
                                                       plotFile: plotURL.lastPathComponent,
                                                       runsFolder: runs, command: command)
        var text = document
        if suite.subspaceInterval != nil {
            var cosines: [String: [(step: Int, mean: Double, global: Double)]] = [:]
            for run in final where run.seed == suite.seed && finished[run.id] != nil {
                cosines[run.configuration.id] = try SubspaceTracking.readMeanCosines(runFolder(run))
            }
            try SubspaceTracking.chart(suite, cosines: cosines).write(to: subspacePlotURL)
            text += "\n![cosine with full fine-tuning's update over training](\(subspacePlotURL.lastPathComponent))\n"
        }
        try AtomicFile.write(Data(text.utf8), to: tableURL)
        try ExperimentLossPlot.chart(suite, logs: logs).write(to: plotURL)
        return records
    }

    static func createFolder(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw ExperimentError(url.path, "cannot create the folder: \(error.localizedDescription)")
        }
    }

    func relativePath(_ url: URL, from base: URL) -> String {
        let path = url.standardizedFileURL.path
        let prefix = base.standardizedFileURL.path + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
